/** Readiness, graceful shutdown and surviving a database outage, with real processes, sockets and MariaDB. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import supertest from 'supertest';
import { freePort, startEmbeddedServer, type EmbeddedServer } from '../src/db/embedded-server.js';
import { loadDatabaseConfig } from '../src/config/index.js';
import { migrate, poolStats } from '../src/db/index.js';
import { exitOnSignals } from '../src/lifecycle/index.js';
import { createLogger } from '../src/log/index.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { createUser, spawnServer, startTestServer } from './support/server.js';

/** A login whose body arrives in two parts, so the request is in flight for as long as the test wants. */
function slowLogin(baseUrl: string, username: string, password: string) {
  const body = JSON.stringify({ username, password });
  const half = Math.floor(body.length / 2);
  const url = new URL('/api/login', baseUrl);
  const started: { req?: ClientRequest } = {};
  const response = new Promise<{ status: number; headers: IncomingMessage['headers']; body: string }>(
    (resolve, reject) => {
      const req: ClientRequest = request(
        url,
        { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length } },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text });
          });
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, half));
      started.req = req;
    },
  );
  return {
    response,
    finish() {
      started.req?.end(body.slice(half));
    },
  };
}

/**
 * Waits until the server reports `count` requests in flight (their headers arrived), so a test acts on a request the
 * server really holds, whatever the machine's load; polls for up to 20 s.
 */
async function untilInFlight(metricsUrl: string, count: number): Promise<void> {
  let last = '';
  for (let attempt = 0; attempt < 200; attempt += 1) {
    last = /^http_requests_in_flight (\d+)$/m.exec(await (await fetch(metricsUrl)).text())?.[1] ?? '';
    if (last === String(count)) return;
    await sleep(100);
  }
  assert.fail(`http_requests_in_flight stayed at ${last}, expected ${count}`);
}

/** Polls for up to 20 s: true once the listener refuses new connections. */
async function untilRefusing(url: string): Promise<boolean> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (await refusesConnections(url)) return true;
    await sleep(200);
  }
  return false;
}

async function refusesConnections(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(2000) });
    return false;
  } catch (error) {
    return (error as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED';
  }
}

describe('graceful shutdown', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
    await createUser(db, { username: 'patient', password: 'patient-password' });
  });
  after(() => db.drop());

  it('SIGTERM during a slow request: the request completes, new connections are refused, exit 0', async () => {
    const server = await spawnServer({ ...db.env, SHUTDOWN_GRACE_MS: '10000', SHUTDOWN_FORCE_MS: '20000' });
    try {
      const login = slowLogin(server.baseUrl, 'patient', 'patient-password');
      await untilInFlight(server.metricsUrl, 1);
      server.kill('SIGTERM');
      assert.ok(await untilRefusing(`${server.baseUrl}/health`), 'the listener still accepts after SIGTERM');
      login.finish();
      const answer = await login.response;
      assert.equal(answer.status, 200);
      assert.ok((JSON.parse(answer.body) as { token?: string }).token);
      assert.deepEqual(await server.exit, { code: 0, signal: null });
      const messages = server
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => (JSON.parse(line) as { msg: string }).msg);
      assert.ok(messages.includes('Received SIGTERM; shutting down'));
      assert.equal(messages.at(-1), 'Shutdown complete');
    } finally {
      server.kill('SIGKILL');
    }
  });

  it('readiness turns 503 at once while liveness stays 200; idle keep-alive sockets do not hold shutdown', async () => {
    const server = await startTestServer({}, { database: db });
    // An idle keep-alive connection from a previous request must not delay the shutdown.
    await fetch(`${server.baseUrl}/health`, { keepalive: true });
    const login = slowLogin(server.baseUrl, 'patient', 'patient-password');
    await untilInFlight(server.metricsUrl, 1);
    const stopping = server.backend.shutdown('test');
    const ready = await supertest(server.backend.app).get('/ready');
    assert.equal(ready.status, 503);
    assert.deepEqual(ready.body, { error: { code: 'draining', message: 'The server is shutting down' } });
    assert.equal((await supertest(server.backend.app).get('/health')).status, 200);
    login.finish();
    assert.equal((await login.response).status, 200);
    await stopping;
  });

  it('/ready stays 200 while slow queries hold every pool connection and others wait in the queue', async () => {
    const server = await startTestServer({ DB_POOL_SIZE: '2', DB_READY_TIMEOUT_MS: '300' }, { database: db });
    try {
      const { pool } = server.backend.deps;
      // Four 2-second queries on a pool of two: both connections busy, two callers queued, for about 4 s.
      const slow = Promise.all(Array.from({ length: 4 }, () => pool.query('SELECT SLEEP(2)')));
      for (let attempt = 0; attempt < 100 && poolStats(pool).waiting < 2; attempt += 1) await sleep(20);
      assert.deepEqual([poolStats(pool).open, poolStats(pool).idle, poolStats(pool).waiting], [2, 0, 2]);
      const ready = await fetch(`${server.baseUrl}/ready`);
      assert.equal(ready.status, 200, await ready.text());
      await slow;
    } finally {
      await server.stop();
    }
  });

  it('destroys a request still unfinished when SHUTDOWN_GRACE_MS is over', async () => {
    const server = await startTestServer({ SHUTDOWN_GRACE_MS: '300', SHUTDOWN_FORCE_MS: '5000' }, { database: db });
    const login = slowLogin(server.baseUrl, 'patient', 'patient-password');
    await untilInFlight(server.metricsUrl, 1);
    // Expect the failure before shutting down: the socket is cut while the rest of the shutdown still runs.
    const refused = assert.rejects(login.response, /socket hang up|ECONNRESET/);
    await server.backend.shutdown('test');
    await refused;
  });
});

describe('forced exit', () => {
  it('exits 1 at SHUTDOWN_FORCE_MS when the shutdown hangs, and 0 when it completes', async () => {
    const logger = createLogger({ level: 'silent' });
    const before = new Set(process.listeners('SIGTERM'));
    const exitCode = (shutdown: () => Promise<void>) =>
      new Promise<number>((resolve, reject) => {
        // A referenced guard: the force timer is unref'd (it must never keep a finished process alive).
        const guard = setTimeout(() => {
          reject(new Error('no exit within 10 s'));
        }, 10_000);
        exitOnSignals(
          { shutdown },
          {
            forceMs: 200,
            logger,
            exit: (code) => {
              clearTimeout(guard);
              resolve(code);
            },
          },
        );
        process.emit('SIGTERM', 'SIGTERM');
      });
    try {
      assert.equal(await exitCode(() => new Promise<void>(() => undefined)), 1);
      assert.equal(await exitCode(() => Promise.resolve()), 0);
    } finally {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        for (const listener of process.listeners(signal)) {
          if (!before.has(listener)) process.off(signal, listener);
        }
      }
    }
  });
});

describe('database outage', () => {
  let embedded: EmbeddedServer;
  let baseDir: string;
  let port: number;
  const database = 'outage';

  before(async () => {
    baseDir = mkdtempSync(join(tmpdir(), 'outage-db-'));
    port = await freePort();
    embedded = await startEmbeddedServer({ baseDir, port });
    const admin = await mysql.createConnection({ host: embedded.host, port, user: embedded.user });
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
  });
  after(async () => {
    await embedded.stop();
    rmSync(baseDir, { recursive: true, force: true });
  });

  it('/ready answers 503 while the DB is down and 200 once it is back; the process stays up', async () => {
    const env = {
      DB_HOST: embedded.host,
      DB_PORT: String(port),
      DB_USER: embedded.user,
      DB_NAME: database,
      DB_TLS: 'off',
      DB_READY_TIMEOUT_MS: '500',
      DB_CONNECT_TIMEOUT_MS: '500',
    };
    await migrate(loadDatabaseConfig(env));
    const server = await spawnServer(env);
    try {
      assert.equal((await fetch(`${server.baseUrl}/ready`)).status, 200);
      await embedded.stop();
      const down = await fetch(`${server.baseUrl}/ready`);
      assert.equal(down.status, 503);
      assert.equal(((await down.json()) as { error: { code: string } }).error.code, 'database_unavailable');
      assert.equal((await fetch(`${server.baseUrl}/health`)).status, 200);

      embedded = await startEmbeddedServer({ baseDir, port });
      let status = 0;
      for (let attempt = 0; attempt < 50 && status !== 200; attempt += 1) {
        status = (await fetch(`${server.baseUrl}/ready`)).status;
        if (status !== 200) await sleep(200);
      }
      assert.equal(status, 200);
      server.kill('SIGTERM');
      assert.deepEqual(await server.exit, { code: 0, signal: null });
    } finally {
      server.kill('SIGKILL');
    }
  });
});
