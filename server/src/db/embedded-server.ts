/**
 * Starts a private MariaDB/MySQL server from the binaries installed on this machine: used by `npm run dev` and by the
 * test run, never in production. A fresh data folder is initialised on first use; the server listens on loopback only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import mysql from 'mysql2/promise';

export interface EmbeddedServer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** Stops the server and waits for it to exit. */
  stop(): Promise<void>;
}

export interface EmbeddedServerOptions {
  /** Folder that holds the data directory, socket and log. Reused when it already holds a data directory. */
  readonly baseDir: string;
  /** TCP port; a free one is chosen when absent. */
  readonly port?: number;
  readonly startTimeoutMs?: number;
  /** Extra server options, after the defaults (so they win), e.g. `--default-time-zone=+05:00`. */
  readonly serverArgs?: readonly string[];
}

const SERVER_BINARIES = ['mariadbd', 'mysqld'];
const INSTALL_BINARIES = ['mariadb-install-db', 'mysql_install_db'];
const SEARCH_PATH = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin', '/usr/local/mysql/bin'];

function findBinary(names: readonly string[]): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...SEARCH_PATH];
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      if (existsSync(candidate)) return candidate;
    }
  }
  return undefined;
}

export function embeddedServerAvailable(): boolean {
  return findBinary(SERVER_BINARIES) !== undefined && findBinary(INSTALL_BINARIES) !== undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not determine a free port'));
      });
    });
  });
}

async function waitUntilAccepting(port: number, child: ChildProcess, logPath: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`the embedded database server exited with code ${child.exitCode}; see ${logPath}`);
    }
    try {
      const connection = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root', connectTimeout: 1000 });
      await connection.end();
      return;
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(
    `the embedded database server did not accept connections within ${timeoutMs} ms (${String(lastError)}); see ${logPath}`,
  );
}

export async function startEmbeddedServer(options: EmbeddedServerOptions): Promise<EmbeddedServer> {
  const serverBinary = findBinary(SERVER_BINARIES);
  const installBinary = findBinary(INSTALL_BINARIES);
  if (!serverBinary || !installBinary) {
    throw new Error(
      'no MariaDB/MySQL server binary found (looked for mariadbd/mysqld and mariadb-install-db on PATH and in /usr/sbin). ' +
        'Install one (Debian: apt-get install mariadb-server) or point DB_HOST/DB_PORT at a running server.',
    );
  }
  const dataDir = join(options.baseDir, 'data');
  mkdirSync(options.baseDir, { recursive: true });
  if (!existsSync(join(dataDir, 'mysql'))) {
    const init = spawnSync(
      installBinary,
      [
        '--no-defaults',
        '--user=root',
        `--datadir=${dataDir}`,
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
      ],
      { encoding: 'utf8' },
    );
    if (init.status !== 0) {
      throw new Error(`${installBinary} failed (exit ${String(init.status)}): ${init.stderr || init.stdout}`);
    }
  }
  const port = options.port ?? (await freePort());
  const logPath = join(options.baseDir, 'server.log');
  const log = openSync(logPath, 'a');
  const child = spawn(
    serverBinary,
    [
      '--no-defaults',
      '--user=root',
      `--datadir=${dataDir}`,
      `--socket=${join(options.baseDir, 'mysqld.sock')}`,
      `--pid-file=${join(options.baseDir, 'mysqld.pid')}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      '--skip-log-bin',
      '--character-set-server=utf8mb4',
      '--collation-server=utf8mb4_unicode_ci',
      '--default-time-zone=+00:00',
      '--innodb-flush-log-at-trx-commit=2',
      '--max-connections=500',
      ...(options.serverArgs ?? []),
    ],
    { stdio: ['ignore', log, log] },
  );
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      resolve();
    }),
  );
  try {
    await waitUntilAccepting(port, child, logPath, options.startTimeoutMs ?? 30_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    host: '127.0.0.1',
    port,
    user: 'root',
    password: '',
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
