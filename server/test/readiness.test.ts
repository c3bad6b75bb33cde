/**
 * The two readiness meanings (issue 9 §1) and what a client sees when the database is gone or saturated (issue 11,
 * defect 9), on a real server process and a private MariaDB that the test stops and starts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import supertest from 'supertest';
import { serverContract } from '../../platform/server-contract.js';
import { loadDatabaseConfig } from '../src/config/index.js';
import { freePort, startEmbeddedServer, type EmbeddedServer } from '../src/db/embedded-server.js';
import { UserRepository } from '../src/auth/index.js';
import { createPool, migrate } from '../src/db/index.js';
import { errorCodeOf } from './support/raw-http.js';
import { login, spawnServer, startTestServer, type SpawnedServer } from './support/server.js';

const { paths } = serverContract;

interface Answer {
  status: number;
  code?: string;
  retryAfter: string | null;
}

/** Any answer within 15 s (a request that hangs fails the test), with its error code when it is one. */
async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  const body = await response.text();
  const headers: Record<string, string> = { 'content-type': response.headers.get('content-type') ?? '' };
  return {
    status: response.status,
    ...(response.status >= 400 ? { code: errorCodeOf({ headers, body }) } : {}),
    retryAfter: response.headers.get('retry-after'),
  };
}

function loginRequest(username: string, password: string): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  };
}

async function metricValue(metricsUrl: string, series: string): Promise<number | undefined> {
  const text = await (await fetch(metricsUrl)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('readiness paths', () => {
  it('the probe path and the operator path are distinct, and the probe is not the database check', () => {
    assert.equal(paths.readiness, '/serving');
    assert.equal(paths.dependencies, '/ready');
    assert.notEqual(paths.readiness, paths.liveness);
  });

  it('/serving and /ready answer 200 when serving; both 503 draining from the first shutdown signal', async () => {
    const server = await startTestServer();
    try {
      assert.deepEqual(await (await fetch(`${server.baseUrl}${paths.readiness}`)).json(), { status: 'serving' });
      assert.deepEqual(await (await fetch(`${server.baseUrl}${paths.dependencies}`)).json(), { status: 'ready' });
      const stopping = server.backend.shutdown('test');
      for (const path of [paths.readiness, paths.dependencies]) {
        const answer = await supertest(server.backend.app).get(path);
        assert.equal(answer.status, 503, path);
        assert.equal((answer.body as { error: { code: string } }).error.code, 'draining');
      }
      assert.equal((await supertest(server.backend.app).get(paths.liveness)).status, 200);
      await stopping;
    } finally {
      await server.stop();
    }
  });
});

describe('database outage under a running server', () => {
  let embedded: EmbeddedServer;
  let baseDir: string;
  let port: number;
  let server: SpawnedServer | undefined;
  const database = 'outage';

  before(async () => {
    baseDir = mkdtempSync(join(tmpdir(), 'readiness-db-'));
    port = await freePort();
    embedded = await startEmbeddedServer({ baseDir, port });
    const admin = await mysql.createConnection({ host: embedded.host, port, user: embedded.user });
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
  });
  after(async () => {
    server?.kill('SIGKILL');
    await embedded.stop();
    rmSync(baseDir, { recursive: true, force: true });
  });

  it('keeps the pod serving, answers DB-bound requests 503 database_unavailable with Retry-After, recovers', async () => {
    const env = {
      DB_HOST: embedded.host,
      DB_PORT: String(port),
      DB_USER: embedded.user,
      DB_NAME: database,
      DB_TLS: 'off',
      DB_READY_TIMEOUT_MS: '500',
      DB_CONNECT_TIMEOUT_MS: '1000',
    };
    await migrate(loadDatabaseConfig(env));
    server = await spawnServer(env);
    const base = server.baseUrl;
    await createUserIn(env, 'outage-user', 'outage-password-1');
    const token = await login(base, 'outage-user', 'outage-password-1');
    const authorised = { headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } };

    await embedded.stop();

    assert.equal((await call(`${base}${paths.liveness}`)).status, 200);
    assert.equal((await call(`${base}${paths.readiness}`)).status, 200, 'the probe must not fail for a shared DB');
    const ready = await call(`${base}${paths.dependencies}`);
    assert.deepEqual([ready.status, ready.code], [503, 'database_unavailable']);

    for (const [name, url, init] of [
      ['login', `${base}/api/login`, loginRequest('outage-user', 'outage-password-1')],
      ['me', `${base}/api/me`, authorised],
      ['event', `${base}/api/desktop/events`, { ...authorised, method: 'POST', body: '{"topic":"t","data":1}' }],
    ] as const) {
      // Twice: the first call meets the pool's dead connections, the second a refused connect.
      for (let round = 0; round < 2; round += 1) {
        const answer = await call(url, init);
        assert.deepEqual([answer.status, answer.code], [503, 'database_unavailable'], name);
        assert.match(answer.retryAfter ?? '', /^\d+$/, name);
      }
    }
    assert.equal(await metricValue(server.metricsUrl, 'db_up'), 0);
    assert.ok(((await metricValue(server.metricsUrl, 'db_request_failures_total{reason="unavailable"}')) ?? 0) >= 6);

    embedded = await startEmbeddedServer({ baseDir, port });
    let status = 0;
    for (let attempt = 0; attempt < 50 && status !== 200; attempt += 1) {
      status = (await call(`${base}/api/login`, loginRequest('outage-user', 'outage-password-1'))).status;
      if (status !== 200) await sleep(100);
    }
    assert.equal(status, 200);
    assert.equal(await metricValue(server.metricsUrl, 'db_up'), 1);
    assert.doesNotMatch(server.output(), /"statusCode":500|unhandled/);
    server.kill('SIGTERM');
    assert.deepEqual(await server.exit, { code: 0, signal: null });
    server = undefined;
  });

  it('a database that stops answering (paused) cannot hang a request: 503 within the timeouts, then recovery', async () => {
    const env = {
      DB_HOST: embedded.host,
      DB_PORT: String(port),
      DB_USER: embedded.user,
      DB_NAME: database,
      DB_TLS: 'off',
      DB_READY_TIMEOUT_MS: '500',
      DB_CONNECT_TIMEOUT_MS: '1000',
      DB_ACQUIRE_TIMEOUT_MS: '3000',
      DB_QUERY_TIMEOUT_MS: '1000',
    };
    await createUserIn(env, 'paused-user', 'paused-password-1');
    server = await spawnServer(env);
    const base = server.baseUrl;
    const token = await login(base, 'paused-user', 'paused-password-1');
    const authorised = { headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } };
    // SIGSTOP: the process keeps its sockets, accepts TCP connections and answers nothing, like a partitioned host.
    const pid = Number(readFileSync(join(baseDir, 'mysqld.pid'), 'utf8').trim());
    process.kill(pid, 'SIGSTOP');
    try {
      for (const [name, url, init] of [
        ['login', `${base}/api/login`, loginRequest('paused-user', 'paused-password-1')],
        ['me', `${base}/api/me`, authorised],
        ['event', `${base}/api/desktop/events`, { ...authorised, method: 'POST', body: '{"topic":"t","data":1}' }],
      ] as const) {
        const answer = await call(url, init);
        assert.deepEqual([answer.status, answer.code], [503, 'database_unavailable'], name);
        assert.match(answer.retryAfter ?? '', /^\d+$/, name);
      }
      assert.equal((await call(`${base}${paths.liveness}`)).status, 200);
      assert.equal((await call(`${base}${paths.readiness}`)).status, 200);
      assert.equal((await call(`${base}${paths.dependencies}`)).status, 503);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    let status = 0;
    for (let attempt = 0; attempt < 50 && status !== 200; attempt += 1) {
      status = (await call(`${base}/api/login`, loginRequest('paused-user', 'paused-password-1'))).status;
      if (status !== 200) await sleep(100);
    }
    assert.equal(status, 200);
    server.kill('SIGTERM');
    assert.deepEqual(await server.exit, { code: 0, signal: null });
    server = undefined;
  });

  it('past DB_QUEUE_LIMIT a request answers 503 database_busy with Retry-After, counted in a metric', async () => {
    const env = {
      DB_HOST: embedded.host,
      DB_PORT: String(port),
      DB_USER: embedded.user,
      DB_NAME: database,
      DB_TLS: 'off',
      DB_POOL_SIZE: '1',
      DB_QUEUE_LIMIT: '1',
    };
    server = await spawnServer(env);
    const base = server.baseUrl;
    const admin = await mysql.createConnection({ host: embedded.host, port, user: embedded.user, database });
    try {
      // Every login counts a throttle hit first: with that table locked, the one pool connection waits on the lock.
      await admin.query('LOCK TABLES throttle_counters WRITE');
      const attempts = Array.from({ length: 4 }, () => call(`${base}/api/login`, loginRequest('busy', 'password-1')));
      const first = await Promise.race(attempts);
      assert.deepEqual([first.status, first.code], [503, 'database_busy']);
      assert.match(first.retryAfter ?? '', /^\d+$/);
      await admin.query('UNLOCK TABLES');
      const answers = await Promise.all(attempts);
      assert.ok(answers.every((answer) => answer.status === 401 || answer.code === 'database_busy'));
    } finally {
      await admin.end();
    }
    assert.ok(((await metricValue(server.metricsUrl, 'db_request_failures_total{reason="busy"}')) ?? 0) >= 1);
    assert.equal((await call(`${base}/api/login`, loginRequest('busy', 'password-1'))).status, 401);
    server.kill('SIGTERM');
    assert.deepEqual(await server.exit, { code: 0, signal: null });
    server = undefined;
  });
});

/** Creates a user straight in the outage database (while it is up). */
async function createUserIn(env: Record<string, string>, username: string, password: string): Promise<void> {
  const pool = createPool(loadDatabaseConfig(env));
  try {
    await new UserRepository(pool, { bcryptRounds: 4 }).create({ username, password, role: 'user' });
  } finally {
    await pool.end();
  }
}
