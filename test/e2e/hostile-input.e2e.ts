/**
 * Scenario 3a: the hostile-input corpus. Every defect issue 11 lists, tried against a real server process the way an
 * anonymous or authenticated client would; each answer must be a clear 4xx with the JSON error shape (or a documented
 * close code), the process must stay up, and its memory must come back to where it started.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { deflateSync, gzipSync } from 'node:zlib';
import { createTestDatabase, type TestDatabase } from '../../server/test/support/database.js';
import { createUser, login } from '../../server/test/support/server.js';
import { desktopToken, metricsText } from '../../server/test/desktop/client.js';
import { replicaEnv } from './support/fleet.js';
import { request, summarize, type Answer } from './support/load.js';
import { isJsonError, rawRequest, upgradeRequest } from './support/raw.js';
import { startReplica, type Diagnostics, type Replica } from './support/replica.js';
import { limitChecks } from './support/limits.js';
import { sleep } from './support/wait.js';

describe('scenario 3a: hostile-input corpus (the defects of issue 11)', { timeout: 240_000 }, () => {
  const scratch = mkdtempSync(join(tmpdir(), 'desktop-backend-e2e-hostile-'));
  let db: TestDatabase | undefined;
  let server: Replica;
  let baseline: Diagnostics;
  let admin: { id: number; token: string };
  let user: { id: number; username: string; password: string; token: string };

  before(async () => {
    db = await createTestDatabase();
    server = await startReplica(replicaEnv(db), scratch, 'hostile');
    const adminUser = await createUser(db, { username: 'root-admin', password: 'admin-password-long', role: 'admin' });
    admin = { id: adminUser.id, token: await login(server.baseUrl, 'root-admin', 'admin-password-long') };
    const plain = await createUser(db, { username: 'alice', password: 'alice-password-long' });
    user = {
      ...plain,
      password: 'alice-password-long',
      token: await login(server.baseUrl, 'alice', 'alice-password-long'),
    };
    await request('warm-up', `${server.baseUrl}/api/me`, { headers: { authorization: `Bearer ${user.token}` } });
    baseline = await server.diagnostics();
  });

  after(async () => {
    await server.stop();
    await db?.drop();
    rmSync(scratch, { recursive: true, force: true });
  });

  const post = (path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
    request(`POST ${path}`, `${server.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
  const expectClientError = (answer: Answer, status: number, code?: string) => {
    assert.equal(answer.status, status, summarize([answer]));
    assert.doesNotMatch(answer.code ?? '', /^\(/, `not the JSON error shape: ${answer.code}`);
    if (code) assert.equal(answer.code, code);
  };

  it('1: upgrades to an unknown path, reset by the client at once, do not kill the process', async () => {
    const { connect } = await import('node:net');
    for (let attempt = 0; attempt < 5; attempt++) {
      const socket = connect(server.port, '127.0.0.1');
      socket.on('error', () => undefined);
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(upgradeRequest(server.port, `/not-a-socket-${attempt}`));
      socket.resetAndDestroy();
    }
    await sleep(500);
    assert.equal(server.exited(), undefined, server.output().slice(-2000));
    assert.equal((await request('health', `${server.baseUrl}/health`)).status, 200);
  });

  it('2: non-ASCII and invalid UTF-8 login names get 401 invalid_credentials, not 500', async () => {
    for (const username of ['ａｄｍｉｎ', 'админ', 'ad\u200bmin', 'adméin', 'ålice', '🙂']) {
      expectClientError(
        await post('/api/login', JSON.stringify({ username, password: 'x' })),
        401,
        'invalid_credentials',
      );
    }
    const invalidUtf8 = Buffer.concat([
      Buffer.from('{"username":"'),
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from('","password":"x"}'),
    ]);
    expectClientError(await post('/api/login', invalidUtf8), 401, 'invalid_credentials');
  });

  it('3: malformed percent-encoding, corrupt compressed bodies and deep nesting get 400, not 500', async () => {
    expectClientError(await post('/api/users/%zz/disable', '{}'), 400);
    expectClientError(await post('/api/users/%zz/disable', '{}', { authorization: `Bearer ${admin.token}` }), 400);
    const login = JSON.stringify({ username: 'alice', password: 'x' });
    expectClientError(await post('/api/login', Buffer.from('not gzip at all'), { 'content-encoding': 'gzip' }), 400);
    expectClientError(await post('/api/login', gzipSync(login).subarray(0, 12), { 'content-encoding': 'gzip' }), 400);
    expectClientError(await post('/api/login', deflateSync(login).subarray(3), { 'content-encoding': 'deflate' }), 400);
    const deep = `{"topic":"deep","data":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    expectClientError(await post('/api/desktop/events', deep, { authorization: `Bearer ${user.token}` }), 400);
  });

  it('4: a token issued in the same second as a disable-then-enable cycle is revoked', async () => {
    // Start at the beginning of a second so login, disable and enable share it.
    await sleep(1000 - (Date.now() % 1000) + 20);
    const token = await login(server.baseUrl, user.username, user.password);
    const auth = { authorization: `Bearer ${admin.token}` };
    assert.equal((await post(`/api/users/${user.id}/disable`, '{}', auth)).status, 200);
    assert.equal((await post(`/api/users/${user.id}/enable`, '{}', auth)).status, 200);
    try {
      const answer = await request('GET /api/me', `${server.baseUrl}/api/me`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expectClientError(answer, 401);
    } finally {
      // The account changed: the token the other checks use is (rightly) revoked as well.
      user.token = await login(server.baseUrl, user.username, user.password);
    }
  });

  it('5: answers Node or ws would give in their own format come in the JSON error shape', async () => {
    const port = server.port;
    const noHost = await rawRequest(port, 'GET /health HTTP/1.1\r\nConnection: close\r\n\r\n');
    assert.ok(noHost.status === 400 && isJsonError(noHost), `no Host: ${noHost.status} ${noHost.body}`);
    const expect = await rawRequest(
      port,
      `POST /api/login HTTP/1.1\r\nHost: x\r\nExpect: 100-banana\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
    );
    assert.ok(expect.status === 417 && isJsonError(expect), `Expect: ${expect.status} ${expect.body}`);
    const desktop = await desktopToken(server.baseUrl, user.token);
    for (const broken of [{ 'Sec-WebSocket-Key': undefined }, { 'Sec-WebSocket-Version': '99' }]) {
      const answer = await rawRequest(
        port,
        upgradeRequest(port, '/ws/desktop', { Authorization: `Bearer ${desktop}`, ...broken }),
      );
      assert.ok(
        answer.status >= 400 && answer.status < 500 && isJsonError(answer),
        `${JSON.stringify(broken)}: ${answer.status} ${answer.body}`,
      );
    }
    const metricsPort = Number(new URL(server.metricsUrl).port);
    const garbage = await rawRequest(metricsPort, 'NOT HTTP AT ALL\r\n\r\n');
    assert.ok(garbage.status === 400 && isJsonError(garbage), `metrics port: ${garbage.status} ${garbage.body}`);
  });

  it('6: clients cannot mint metric label values with the case or shape of a path', async () => {
    for (const path of ['/API/me', '/Api/Me', '/api/ME', '/api//me', '/api/me/', '/api/users/12345/disable']) {
      await request(path, `${server.baseUrl}${path}`, { headers: { authorization: `Bearer ${user.token}` } });
    }
    const routes = new Set(
      [...(await metricsText(server.metricsUrl)).matchAll(/route="([^"]*)"/g)].map((match) => match[1]),
    );
    for (const minted of ['/API/me', '/Api/Me', '/api/ME', '/api//me', '/api/users/12345/disable']) {
      assert.ok(!routes.has(minted), `route="${minted}" was created: ${[...routes].join(', ')}`);
    }
  });

  for (const [name, check] of Object.entries(limitChecks)) {
    it(`7: ${name}`, async () => {
      const username = `limits-${Object.keys(limitChecks).indexOf(name)}`;
      await createUser(db!, { username, password: 'limits-password-long' });
      await check({ server, apiToken: await login(server.baseUrl, username, 'limits-password-long') });
    });
  }

  it('9: a saturated pool answers 503 database_busy with Retry-After, never 500', async () => {
    const tiny = await startReplica(replicaEnv(db!, { DB_POOL_SIZE: '1', DB_QUEUE_LIMIT: '1' }), scratch, 'tiny');
    try {
      const token = await login(tiny.baseUrl, 'root-admin', 'admin-password-long');
      const answers = await Promise.all(
        Array.from({ length: 60 }, (_, index) =>
          request('POST /api/desktop/events', `${tiny.baseUrl}/api/desktop/events`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({ topic: 'burst', data: { index } }),
          }),
        ),
      );
      const wrong = answers.filter(
        (answer) =>
          answer.status !== 201 && !(answer.status === 503 && answer.code === 'database_busy' && answer.retryAfter),
      );
      assert.equal(wrong.length, 0, summarize(wrong));
      assert.ok(
        answers.some((answer) => answer.status === 503),
        'the burst never saturated a one-connection pool',
      );
    } finally {
      await tiny.stop();
    }
  });

  it('stays up, and its memory returns near the baseline after garbage collection', async (t) => {
    assert.equal(server.exited(), undefined);
    const now = await server.diagnostics();
    t.diagnostic(
      `heap ${mb(baseline.heapUsed)} → ${mb(now.heapUsed)} MB, rss ${mb(baseline.rss)} → ${mb(now.rss)} MB, fds ${baseline.fds} → ${now.fds}`,
    );
    assert.ok(now.heapUsed < baseline.heapUsed + 16 * 2 ** 20, 'heap grew by more than 16 MB');
    assert.ok(now.rss < baseline.rss + 96 * 2 ** 20, 'rss grew by more than 96 MB');
    assert.doesNotMatch(server.output(), /unhandled (promise )?rejection|uncaught/i);
  });
});

const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
