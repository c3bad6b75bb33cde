import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { RowDataPacket } from 'mysql2/promise';
import { serverContract } from '../../../platform/server-contract.js';
import { UserRepository } from '../../src/auth/index.js';
import { desktopChannel } from '../../src/desktop/index.js';
import { DesktopEventStore } from '../../src/desktop/events/store.js';
import { createUser, login, startTestServer, TEST_BCRYPT_ROUNDS, type TestServer } from '../support/server.js';
import {
  DesktopTestClient,
  desktopToken,
  eventually,
  metricsText,
  metricValue,
  postEvent,
  range,
  refusedUpgrade,
  StalledDesktopSocket,
} from './client.js';

const ALLOWED_ORIGIN = 'https://app.example.com';
const MAX_MESSAGES_PER_10S = 20;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('/ws/desktop', () => {
  let server: TestServer;
  let adminToken: string;
  let userCount = 0;

  /** A fresh user with its API and desktop tokens, so every test starts from seq 0. */
  async function newUser(): Promise<{ id: number; apiToken: string; token: string }> {
    userCount += 1;
    const username = `desk${userCount}`;
    const user = await createUser(server.db, { username, password: 'correct horse battery' });
    const apiToken = await login(server.baseUrl, username, 'correct horse battery');
    return { id: user.id, apiToken, token: await desktopToken(server.baseUrl, apiToken) };
  }

  before(async () => {
    server = await startTestServer(
      {
        CORS_ORIGINS: ALLOWED_ORIGIN,
        WS_MAX_MESSAGES_PER_10S: String(MAX_MESSAGES_PER_10S),
        WS_MAX_BUFFERED_BYTES: '65536',
        DESKTOP_EVENT_POLL_MS: '50',
      },
      { channels: [desktopChannel] },
    );
    await createUser(server.db, { username: 'root', password: 'correct horse battery', role: 'admin' });
    adminToken = await login(server.baseUrl, 'root', 'correct horse battery');
  });
  after(() => server.stop());

  describe('refuses the upgrade with a plain HTTP status and no socket', () => {
    it('401 without a token, with a forged one, or with one in the query string', async () => {
      const { token } = await newUser();
      assert.equal((await refusedUpgrade(server.wsUrl, {})).status, 401);
      assert.equal((await refusedUpgrade(server.wsUrl, { token: `${token}x` })).status, 401);
      assert.equal((await refusedUpgrade(server.wsUrl, { token: 'not-a-jwt' })).status, 401);
      const inQuery = await refusedUpgrade(server.wsUrl, { path: `/ws/desktop?access_token=${token}` });
      assert.equal(inQuery.status, 401);
      assert.equal((JSON.parse(inQuery.body) as { error: { code: string } }).error.code, 'token_in_query');
    });

    it('403 for an API token, a disallowed origin or a disabled user', async () => {
      const { apiToken, token, id } = await newUser();
      assert.equal((await refusedUpgrade(server.wsUrl, { token: apiToken })).status, 403);
      const foreign = { token, wsOptions: { headers: { origin: 'https://evil.example.com' } } };
      assert.equal((await refusedUpgrade(server.wsUrl, foreign)).status, 403);
      const allowed = { token, wsOptions: { headers: { origin: ALLOWED_ORIGIN } } };
      await (await DesktopTestClient.connect(server.wsUrl, allowed)).client.close();
      // Disabled as by another replica: this one's user cache may answer for USER_CACHE_TTL_MS, and no longer.
      await new UserRepository(server.db.pool, { bcryptRounds: Number(TEST_BCRYPT_ROUNDS) }).setDisabled(id, true);
      await sleep(server.backend.deps.config.auth.userCacheTtlMs);
      assert.equal((await refusedUpgrade(server.wsUrl, { token })).status, 403);
    });

    it('400 for a malformed resume point, 404 for another path', async () => {
      const { token } = await newUser();
      const bad = await refusedUpgrade(server.wsUrl, {
        path: '/ws/desktop?afterSeq=-1',
        wsOptions: { headers: { authorization: `Bearer ${token}` } },
      });
      assert.equal(bad.status, 400);
      assert.equal((await refusedUpgrade(server.wsUrl, { path: '/ws/other' })).status, 404);
    });

    it('counts refusals by reason', async () => {
      const rejected = (reason: string) =>
        metricValue(server.metricsUrl, `desktop_ws_rejected_upgrades_total{reason="${reason}"}`);
      assert.ok((await rejected('missing_token')) >= 1);
      assert.ok((await rejected('wrong_audience')) >= 1);
      assert.ok((await rejected('origin')) >= 1);
    });
  });

  it('welcomes a client that authenticates with the bearer subprotocol', async () => {
    const { token, id } = await newUser();
    const { client, welcome } = await DesktopTestClient.connect(server.wsUrl, { token, viaSubprotocol: true });
    assert.equal(client.ws.protocol, 'desktop.v1');
    assert.equal(typeof welcome.connectionId, 'string');
    assert.deepEqual(welcome.user, { id, username: `desk${userCount}`, role: 'user' });
    assert.equal(welcome.heartbeatMs, serverContract.heartbeatMs);
    assert.equal(welcome.lastSeq, 0);
    await client.close();
  });

  it('delivers posted events in seq order with topic, data and createdAt', async () => {
    const { token, apiToken } = await newUser();
    const { client } = await DesktopTestClient.connect(server.wsUrl, { token });
    const seqs: number[] = [];
    for (let index = 1; index <= 20; index += 1) {
      seqs.push(await postEvent(server.baseUrl, apiToken, 'note.created', { index }));
    }
    assert.deepEqual(seqs, range(1, 20));
    const events = await client.eventsThrough(20);
    assert.deepEqual(
      events.map((event) => event.seq),
      range(1, 20),
    );
    const fifth = events[4]!;
    assert.deepEqual(fifth.data, { index: 5 });
    assert.equal(fifth.topic, 'note.created');
    assert.ok(Date.parse(fifth.createdAt) > Date.now() - 60_000);
    await client.close();
  });

  it('resumes after a disconnect with exactly the events posted while away', async () => {
    const { token, apiToken } = await newUser();
    const first = await DesktopTestClient.connect(server.wsUrl, { token });
    for (let index = 1; index <= 5; index += 1) await postEvent(server.baseUrl, apiToken, 'a', index);
    const seen = await first.client.eventsThrough(5);
    await first.client.close();

    for (let index = 6; index <= 12; index += 1) await postEvent(server.baseUrl, apiToken, 'a', index);
    const lastSeen = seen.at(-1)?.seq ?? 0;
    const second = await DesktopTestClient.connect(server.wsUrl, { token, afterSeq: lastSeen });
    assert.equal(second.welcome.lastSeq, 12);
    const missed = await second.client.eventsThrough(12);
    assert.deepEqual(
      missed.map((event) => event.seq),
      range(6, 12),
    );
    await postEvent(server.baseUrl, apiToken, 'a', 13);
    assert.deepEqual(
      (await second.client.eventsThrough(13)).map((event) => event.seq),
      [13],
    );
    await second.client.close();
  });

  it('replays from the seq a resume message names, then goes on live', async () => {
    const { token, apiToken } = await newUser();
    for (let index = 1; index <= 6; index += 1) await postEvent(server.baseUrl, apiToken, 'b', index);
    const { client, welcome } = await DesktopTestClient.connect(server.wsUrl, { token });
    assert.equal(welcome.lastSeq, 6);
    client.send({ type: 'resume', afterSeq: 3 });
    assert.deepEqual(
      (await client.eventsThrough(6)).map((event) => event.seq),
      [4, 5, 6],
    );
    await postEvent(server.baseUrl, apiToken, 'b', 7);
    assert.deepEqual(
      (await client.eventsThrough(7)).map((event) => event.seq),
      [7],
    );
    await client.close();
  });

  it('tells a client resuming from before the retention window to resync', async () => {
    const { id, token, apiToken } = await newUser();
    for (let index = 1; index <= 5; index += 1) await postEvent(server.baseUrl, apiToken, 'c', index);
    await server.db.pool.query(
      'UPDATE desktop_events SET created_at = UTC_TIMESTAMP(3) - INTERVAL 400 DAY WHERE user_id = ? AND seq <= 3',
      [id],
    );
    assert.ok((await new DesktopEventStore(server.db.pool).prune(24)) >= 3);
    const { client } = await DesktopTestClient.connect(server.wsUrl, { token, afterSeq: 1 });
    const resync = await client.next();
    assert.equal(resync.type, 'resync_required');
    assert.equal(resync.afterSeq, 1);
    assert.equal(resync.oldestSeq, 4);
    assert.equal(resync.lastSeq, 5);
    await postEvent(server.baseUrl, apiToken, 'c', 6);
    assert.deepEqual(
      (await client.eventsThrough(6)).map((event) => event.seq),
      [6],
    );
    await client.close();
  });

  it('tells a client resuming from past the last event to resync, then goes on live', async () => {
    const { token, apiToken } = await newUser();
    for (let index = 1; index <= 2; index += 1) await postEvent(server.baseUrl, apiToken, 'e', index);
    const { client } = await DesktopTestClient.connect(server.wsUrl, { token, afterSeq: 9 });
    const resync = await client.next();
    assert.equal(resync.type, 'resync_required');
    assert.deepEqual([resync.afterSeq, resync.lastSeq], [9, 2]);
    assert.match(String(resync.message), /past the last event/);
    await postEvent(server.baseUrl, apiToken, 'e', 3);
    assert.deepEqual(
      (await client.eventsThrough(3)).map((event) => event.seq),
      [3],
    );
    await client.close();
  });

  it('keeps events and grants tied to an existing user (foreign keys)', async () => {
    const { id, apiToken } = await newUser();
    await postEvent(server.baseUrl, apiToken, 'd', 1);
    const store = new DesktopEventStore(server.db.pool);
    await assert.rejects(store.append(2 ** 31, 'orphan', 1), /foreign key constraint/i);
    await server.db.pool.query('DELETE FROM users WHERE id = ?', [id]);
    for (const table of ['desktop_events', 'desktop_event_counters', 'desktop_grants']) {
      const [rows] = await server.db.pool.query<RowDataPacket[]>(
        `SELECT COUNT(*) AS n FROM ${table} WHERE user_id = ?`,
        [id],
      );
      assert.equal(Number(rows[0]?.n), 0, table);
    }
  });

  it('lets an admin send to another user, and nobody else', async () => {
    const target = await newUser();
    const other = await newUser();
    const { client } = await DesktopTestClient.connect(server.wsUrl, { token: target.token });
    await postEvent(server.baseUrl, adminToken, 'admin.notice', { hello: true }, target.id);
    assert.equal((await client.eventsThrough(1))[0]?.topic, 'admin.notice');
    await assert.rejects(postEvent(server.baseUrl, other.apiToken, 'x', 1, target.id), /403/);
    await postEvent(server.baseUrl, target.token, 'from.desktop', 2);
    assert.equal((await client.eventsThrough(2))[0]?.topic, 'from.desktop');
    await client.close();
  });

  it('answers malformed and unknown messages with an error frame and stays open', async () => {
    const { token } = await newUser();
    const { client } = await DesktopTestClient.connect(server.wsUrl, { token });
    client.send('not json');
    assert.equal((await client.next()).code, 'malformed_json');
    client.send({ type: 'subscribe', topic: 'x' });
    assert.equal((await client.next()).code, 'unknown_type');
    client.send({ type: 'resume', afterSeq: 'yesterday' });
    assert.equal((await client.next()).code, 'invalid_message');
    client.ws.send(Buffer.from([1, 2, 3]));
    assert.equal((await client.next()).code, 'unsupported_frame');
    client.send({ type: 'ping' });
    assert.equal((await client.next()).type, 'pong');
    await client.close();
  });

  it('closes with 1009 on a frame above 64 KiB', async () => {
    const { token } = await newUser();
    const { client } = await DesktopTestClient.connect(server.wsUrl, { token });
    client.send({ type: 'ping', padding: 'x'.repeat(70 * 1024) });
    assert.equal((await client.waitClosed()).code, 1009);
  });

  it('closes with 1007 on a text frame that is not UTF-8, and counts it under that code', async () => {
    const { token } = await newUser();
    const { client } = await DesktopTestClient.connect(server.wsUrl, { token });
    client.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    assert.equal((await client.waitClosed()).code, 1007);
    await eventually(
      async () => (await metricValue(server.metricsUrl, 'desktop_ws_closes_total{code="1007"}')) === 1,
      'the 1007 close to be counted',
    );
  });

  it('closes with 1008 when a client floods', async () => {
    const { token } = await newUser();
    const { client } = await DesktopTestClient.connect(server.wsUrl, { token });
    for (let index = 0; index <= MAX_MESSAGES_PER_10S; index += 1) client.send({ type: 'ping' });
    assert.equal((await client.waitClosed()).code, 1008);
  });

  it('drops a consumer that stops reading (4408) and counts it', async () => {
    const { token, id } = await newUser();
    const stalled = await StalledDesktopSocket.open(server.baseUrl, token);
    const store = new DesktopEventStore(server.db.pool);
    const big = 'y'.repeat(512 * 1024);
    const dropped = async () => (await metricValue(server.metricsUrl, 'desktop_ws_slow_consumer_drops_total')) >= 1;
    // Enough to fill the loopback socket buffers, after which the server's own buffer passes its ceiling.
    for (let index = 0; index < 40 && !(await dropped()); index += 1) await store.append(id, 'big', big);
    await eventually(dropped, 'the slow consumer to be dropped');
    assert.equal(await stalled.closeCode(), 4408);
  });

  it('closes the sockets of a user an admin disables (4403)', async () => {
    const { id, token } = await newUser();
    const { client } = await DesktopTestClient.connect(server.wsUrl, { token });
    const response = await fetch(`${server.baseUrl}/api/users/${id}/disable`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}` },
    });
    assert.equal(response.status, 200);
    assert.equal((await client.waitClosed()).code, 4403);
  });

  it('closes the sockets of a user disabled by another replica, found by polling the database', async () => {
    const { id, token } = await newUser();
    const { client } = await DesktopTestClient.connect(server.wsUrl, { token });
    // A repository of its own: this process's server hears nothing, as on another replica.
    await new UserRepository(server.db.pool, { bcryptRounds: Number(TEST_BCRYPT_ROUNDS) }).setDisabled(id, true);
    assert.equal((await client.waitClosed()).code, 4403);
  });

  it('revokes desktop tokens issued before an account change: live sockets close (4401), upgrade and HTTP refuse', async () => {
    const { id, token } = await newUser();
    const { client } = await DesktopTestClient.connect(server.wsUrl, { token });
    // `iat` counts whole seconds: the change happens in a later second than the token, as it does in practice.
    await new Promise((resolve) => setTimeout(resolve, 1001 - (Date.now() % 1000)));
    // A repository of its own, as on another replica: only the database tells this server.
    const users = new UserRepository(server.db.pool, { bcryptRounds: Number(TEST_BCRYPT_ROUNDS) });
    assert.ok(await users.setPassword(id, 'a brand new passphrase'));
    assert.equal((await client.waitClosed()).code, 4401);
    // New uses of the token: refused once this replica's user cache has expired (its stated bound).
    await sleep(server.backend.deps.config.auth.userCacheTtlMs);
    assert.equal((await refusedUpgrade(server.wsUrl, { token })).status, 401);
    const post = await fetch(`${server.baseUrl}/api/desktop/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ topic: 't', data: 1 }),
    });
    assert.equal(post.status, 401);
  });

  it('publishes its metrics without user ids in labels', async () => {
    const text = await metricsText(server.metricsUrl);
    for (const name of [
      'desktop_ws_open_connections',
      'desktop_ws_closes_total',
      'desktop_ws_messages_received_total',
      'desktop_ws_messages_sent_total',
      'desktop_event_delivery_lag_seconds_bucket',
    ]) {
      assert.ok(new RegExp(`^${name}`, 'm').test(text), name);
    }
    assert.ok((await metricValue(server.metricsUrl, 'desktop_ws_closes_total{code="1009"}')) >= 1);
    await eventually(
      async () => (await metricValue(server.metricsUrl, 'desktop_ws_closes_total{code="4408"}')) >= 1,
      'the 4408 close to be counted',
    );
    assert.ok(!/user(_?id)?="/i.test(text), 'no user label');
  });
});

describe('/ws/desktop token lifetime and shutdown', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ DESKTOP_TOKEN_EXPIRES_IN: '3s' }, { channels: [desktopChannel] });
    await createUser(server.db, { username: 'eve', password: 'correct horse battery' });
  });
  after(() => server.stop());

  it('closes with 1008 when the token expires while connected', async () => {
    const apiToken = await login(server.baseUrl, 'eve', 'correct horse battery');
    const { client } = await DesktopTestClient.connect(server.wsUrl, {
      token: await desktopToken(server.baseUrl, apiToken),
    });
    const closed = await client.waitClosed();
    assert.equal(closed.code, 1008);
    assert.equal(closed.reason, 'token expired');
  });

  it('refuses upgrades with 503 once draining, and closes live sockets with 1001', async () => {
    const apiToken = await login(server.baseUrl, 'eve', 'correct horse battery');
    const { client } = await DesktopTestClient.connect(server.wsUrl, {
      token: await desktopToken(server.baseUrl, apiToken),
    });
    const token = await desktopToken(server.baseUrl, apiToken);
    // A connection accepted before the shutdown, whose upgrade request completes after it began.
    const raw = connect(Number(new URL(server.baseUrl).port), '127.0.0.1');
    await new Promise((resolve) => raw.once('connect', resolve));
    raw.write(
      'GET /ws/desktop HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Key: ${Buffer.alloc(16, 1).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
        `Authorization: Bearer ${token}\r\n`,
    );
    const answer = new Promise<string>((resolve) => {
      let text = '';
      raw.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      raw.on('close', () => {
        resolve(text);
      });
    });
    const stopped = server.backend.shutdown('test');
    raw.write('\r\n');
    assert.match(await answer, /^HTTP\/1\.1 503 /);
    assert.equal((await client.waitClosed()).code, 1001);
    await stopped;
  });
});

describe('/ws/desktop heartbeat', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ WS_HEARTBEAT_MS: '1000' }, { channels: [desktopChannel] });
    await createUser(server.db, { username: 'hal', password: 'correct horse battery' });
  });
  after(() => server.stop());

  it('terminates a peer that stops answering pings', async () => {
    const apiToken = await login(server.baseUrl, 'hal', 'correct horse battery');
    const token = await desktopToken(server.baseUrl, apiToken);
    const { client } = await DesktopTestClient.connect(server.wsUrl, { token, wsOptions: { autoPong: false } });
    assert.equal((await client.waitClosed()).code, 1006);
    assert.equal(await metricValue(server.metricsUrl, 'desktop_ws_heartbeat_terminations_total'), 1);
  });

  it('keeps a peer that answers them', async () => {
    const apiToken = await login(server.baseUrl, 'hal', 'correct horse battery');
    const { client } = await DesktopTestClient.connect(server.wsUrl, {
      token: await desktopToken(server.baseUrl, apiToken),
    });
    await new Promise((resolve) => setTimeout(resolve, 2500));
    client.send({ type: 'ping' });
    assert.equal((await client.next()).type, 'pong');
    await client.close();
  });
});
