/** Backends for tests: in-process on port 0, or a real child process running server/src/main.ts. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBackend, type Backend } from '../../src/app.js';
import type { Role, User } from '../../src/auth/index.js';
import { UserRepository } from '../../src/auth/index.js';
import type { ChannelFactory } from '../../src/channels.js';
import { loadConfig } from '../../src/config/index.js';
import type { Logger } from '../../src/log/index.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** 32+ bytes, as AUTH_REQUIRED=true demands. */
export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';
/** bcrypt's minimum cost keeps tests fast; production is refused below 10. */
export const TEST_BCRYPT_ROUNDS = '4';

export function testEnv(db: TestDatabase, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    PORT: '0',
    METRICS_PORT: '0',
    JWT_SECRET: TEST_JWT_SECRET,
    BCRYPT_ROUNDS: TEST_BCRYPT_ROUNDS,
    LOG_LEVEL: 'silent',
    SHUTDOWN_GRACE_MS: '5000',
    SHUTDOWN_FORCE_MS: '10000',
    ...db.env,
    ...overrides,
  };
}

export interface TestServer {
  baseUrl: string;
  wsUrl: string;
  metricsUrl: string;
  backend: Backend;
  db: TestDatabase;
  /** Shuts the backend down; drops the database unless the caller passed its own. */
  stop(): Promise<void>;
}

export async function startTestServer(
  overrides: Record<string, string> = {},
  options: { channels?: ChannelFactory[]; database?: TestDatabase; logger?: Logger } = {},
): Promise<TestServer> {
  const db = options.database ?? (await createTestDatabase());
  const config = loadConfig(testEnv(db, overrides));
  const backend = await createBackend(config, {
    channels: options.channels ?? [],
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const { port, metricsPort } = await backend.listen();
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    backend,
    db,
    async stop() {
      await backend.shutdown('test finished');
      if (!options.database) await db.drop();
    },
  };
}

export async function createUser(
  db: TestDatabase,
  user: { username: string; password: string; role?: Role },
): Promise<User> {
  const repository = new UserRepository(db.pool, { bcryptRounds: Number(TEST_BCRYPT_ROUNDS) });
  return repository.create({ username: user.username, password: user.password, role: user.role ?? 'user' });
}

/** Logs in over HTTP and returns the API token; throws with the answer when the login fails. */
export async function login(baseUrl: string, username: string, password: string): Promise<string> {
  const response = await fetch(`${baseUrl}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const body = (await response.json()) as { token?: string };
  if (response.status !== 200 || !body.token) {
    throw new Error(`login as ${username} failed: ${response.status} ${JSON.stringify(body)}`);
  }
  return body.token;
}

export interface SpawnedServer {
  port: number;
  metricsPort: number;
  baseUrl: string;
  wsUrl: string;
  metricsUrl: string;
  kill(signal?: NodeJS.Signals): void;
  /** Resolves when the process exits. */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
}

/**
 * Runs server/src/main.ts in a child process (tsx) on free ports, with the given environment on top of the test
 * defaults (pass a TestDatabase's env). Resolves once it logs that the API listens.
 */
export async function spawnServer(env: Record<string, string>, timeoutMs = 30_000): Promise<SpawnedServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    cwd: repositoryRoot,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      PORT: '0',
      METRICS_PORT: '0',
      JWT_SECRET: TEST_JWT_SECRET,
      BCRYPT_ROUNDS: TEST_BCRYPT_ROUNDS,
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exit = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  const ports = await new Promise<{ port: number; metricsPort: number }>((resolvePorts, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`server did not start within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      for (const line of output.split('\n')) {
        if (!line.includes('API HTTP server running on port')) continue;
        const parsed = JSON.parse(line) as { port: number; metricsPort: number };
        clearTimeout(timer);
        resolvePorts({ port: parsed.port, metricsPort: parsed.metricsPort });
        return;
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    void exit.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited (code ${String(code)}, signal ${String(signal)}) before listening:\n${output}`));
    });
  });
  return {
    ...ports,
    baseUrl: `http://127.0.0.1:${ports.port}`,
    wsUrl: `ws://127.0.0.1:${ports.port}`,
    metricsUrl: `http://127.0.0.1:${ports.metricsPort}/metrics`,
    kill(signal: NodeJS.Signals = 'SIGTERM') {
      child.kill(signal);
    },
    exit,
    output: () => output,
  };
}
