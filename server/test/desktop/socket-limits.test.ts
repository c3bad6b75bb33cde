/**
 * The limits a hostile or buggy client meets on /ws/desktop (issue 11, defect 7): open sockets per user, per client
 * address and per replica, refused before the database; and `resume`, which may not make the server re-read history
 * without bound.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { desktopChannel } from '../../src/desktop/index.js';
import { createUser, login, startTestServer, type TestServer } from '../support/server.js';
import { DesktopTestClient, desktopToken, eventually, metricValue, postEvent, range } from './client.js';
import { countQueries, poolSettled, handshakeHeaders, rawUpgrade } from './raw-upgrade.js';

const PASSWORD = 'correct horse battery';

describe('socket caps', () => {
  let server: TestServer;
  const tokens: string[] = [];
  const open: DesktopTestClient[] = [];

  /** A desktop connection as if from `address` (the ALB's X-Forwarded-For, trusted for one hop). */
  async function connectFrom(address: string, token: string): Promise<DesktopTestClient> {
    const { client } = await DesktopTestClient.connect(server.wsUrl, {
      token,
      wsOptions: { headers: { 'x-forwarded-for': address } },
    });
    open.push(client);
    return client;
  }

  /** A refused upgrade from `address`, with the number of database queries it caused. */
  async function refusedFrom(address: string, token: string) {
    await poolSettled(server.backend.deps.pool);
    const queries = countQueries(server.backend.deps.pool);
    try {
      const answer = await rawUpgrade(server.baseUrl, {
        headers: handshakeHeaders({ Authorization: `Bearer ${token}`, 'X-Forwarded-For': address }),
      });
      const body = JSON.parse(answer.body) as { error: { code: string; message: string } };
      return { status: answer.status, code: body.error.code, retryAfter: answer.headers['retry-after'], queries };
    } finally {
      queries.stop();
    }
  }

  before(async () => {
    server = await startTestServer(
      {
        DESKTOP_MAX_SOCKETS: '5',
        DESKTOP_MAX_SOCKETS_PER_IP: '3',
        DESKTOP_MAX_SOCKETS_PER_USER: '2',
        TRUST_PROXY_HOPS: '1',
        DESKTOP_EVENT_POLL_MS: '60000',
      },
      { channels: [desktopChannel] },
    );
    for (const username of ['cap-a', 'cap-b', 'cap-c']) {
      await createUser(server.db, { username, password: PASSWORD });
      tokens.push(await desktopToken(server.baseUrl, await login(server.baseUrl, username, PASSWORD)));
    }
  });
  after(async () => {
    await Promise.all(open.map((client) => client.close()));
    await server.stop();
  });

  it('refuses a third socket of one user with 429 user_socket_limit, before the database', async () => {
    const [a = ''] = tokens;
    await connectFrom('198.51.100.1', a);
    await connectFrom('198.51.100.1', a);
    const refused = await refusedFrom('198.51.100.2', a);
    assert.deepEqual([refused.status, refused.code], [429, 'user_socket_limit']);
    assert.ok(Number(refused.retryAfter) > 0);
    assert.equal(refused.queries.count, 0);
  });

  it('refuses a fourth socket from one address with 429 address_socket_limit, before the database', async () => {
    const [, b = ''] = tokens;
    await connectFrom('198.51.100.1', b);
    const refused = await refusedFrom('198.51.100.1', b);
    assert.deepEqual([refused.status, refused.code], [429, 'address_socket_limit']);
    assert.equal(refused.queries.count, 0);
  });

  it('gives a refused upgrade its slot back (a bad token from a full address is still judged as a bad token)', async () => {
    const [, , c = ''] = tokens;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      assert.equal((await refusedFrom('198.51.100.9', `${c}x`)).code, 'invalid_token');
    }
    await connectFrom('198.51.100.9', c);
  });

  it('refuses past the replica cap with 503 server_socket_limit, and admits again once a socket closes', async () => {
    const [, b = '', c = ''] = tokens;
    await connectFrom('198.51.100.3', c);
    const refused = await refusedFrom('198.51.100.4', b);
    assert.deepEqual([refused.status, refused.code], [503, 'server_socket_limit']);
    assert.ok(Number(refused.retryAfter) > 0);
    assert.equal(refused.queries.count, 0);
    await open.pop()?.close();
    await eventually(async () => {
      const answer = await refusedFrom('198.51.100.4', `${b}x`);
      return answer.code === 'invalid_token';
    }, 'a slot to free up');
    await connectFrom('198.51.100.4', b);
  });

  it('counts each refusal under its reason', async () => {
    for (const reason of ['user_socket_limit', 'address_socket_limit', 'server_socket_limit']) {
      const sample = `desktop_ws_rejected_upgrades_total{reason="${reason}"}`;
      assert.ok((await metricValue(server.metricsUrl, sample)) >= 1, reason);
    }
  });
});

describe('resume limits', () => {
  let server: TestServer;
  let token: string;
  let apiToken: string;

  before(async () => {
    server = await startTestServer(
      { DESKTOP_MAX_RESUMES_PER_MINUTE: '3', DESKTOP_MAX_REPLAY_EVENTS: '4', DESKTOP_EVENT_POLL_MS: '50' },
      { channels: [desktopChannel] },
    );
    await createUser(server.db, { username: 'resumer', password: PASSWORD });
    apiToken = await login(server.baseUrl, 'resumer', PASSWORD);
    token = await desktopToken(server.baseUrl, apiToken);
    for (let index = 1; index <= 6; index += 1) await postEvent(server.baseUrl, apiToken, 'n', index);
  });
  after(() => server.stop());

  it('replays up to DESKTOP_MAX_REPLAY_EVENTS; further back gets resync_required instead of a history read', async () => {
    const near = await DesktopTestClient.connect(server.wsUrl, { token, afterSeq: 2 });
    assert.deepEqual(
      (await near.client.eventsThrough(6)).map((event) => event.seq),
      range(3, 6),
    );
    near.client.send({ type: 'resume', afterSeq: 1 });
    const resync = await near.client.next();
    assert.equal(resync.type, 'resync_required');
    assert.deepEqual([resync.afterSeq, resync.lastSeq], [1, 6]);
    assert.match(String(resync.message), /More than 4 events are missing/);
    await near.client.close();

    const far = await DesktopTestClient.connect(server.wsUrl, { token, afterSeq: 0 });
    assert.equal((await far.client.next()).type, 'resync_required');
    const seq = await postEvent(server.baseUrl, apiToken, 'n', 7);
    assert.deepEqual(
      (await far.client.eventsThrough(seq)).map((event) => event.seq),
      [7],
    );
    await far.client.close();
  });

  it('answers resumes past DESKTOP_MAX_RESUMES_PER_MINUTE with resume_rate_limited and does not run them', async () => {
    const { client } = await DesktopTestClient.connect(server.wsUrl, { token });
    for (let attempt = 0; attempt < 3; attempt += 1) {
      client.send({ type: 'resume', afterSeq: 5 });
      assert.deepEqual(
        (await client.eventsThrough(7)).map((event) => event.seq),
        [6, 7],
      );
    }
    client.send({ type: 'resume', afterSeq: 5 });
    const refused = await client.next();
    assert.equal(refused.type, 'error');
    assert.equal(refused.code, 'resume_rate_limited');
    assert.ok(Number(refused.retryAfterMs) > 0 && Number(refused.retryAfterMs) <= 60_000);
    client.send({ type: 'ping' });
    assert.equal((await client.next()).type, 'pong', 'an event was replayed after the refused resume');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(client.pending(), [], 'the refused resume was run');
    assert.equal(client.ws.readyState, client.ws.OPEN);
    await client.close();
  });
});

describe('replays per user (a reconnect starts a new socket, not a new budget)', () => {
  let server: TestServer;
  let token: string;
  let otherToken: string;
  let apiToken: string;

  before(async () => {
    server = await startTestServer(
      { DESKTOP_MAX_REPLAYS_PER_USER_PER_MINUTE: '2', DESKTOP_EVENT_POLL_MS: '50' },
      { channels: [desktopChannel] },
    );
    await createUser(server.db, { username: 'reconnector', password: PASSWORD });
    await createUser(server.db, { username: 'bystander', password: PASSWORD });
    apiToken = await login(server.baseUrl, 'reconnector', PASSWORD);
    token = await desktopToken(server.baseUrl, apiToken);
    const otherApiToken = await login(server.baseUrl, 'bystander', PASSWORD);
    otherToken = await desktopToken(server.baseUrl, otherApiToken);
    for (let index = 1; index <= 3; index += 1) await postEvent(server.baseUrl, apiToken, 'n', index);
    await postEvent(server.baseUrl, otherApiToken, 'n', 1);
  });
  after(() => server.stop());

  it('replays on reconnect within DESKTOP_MAX_REPLAYS_PER_USER_PER_MINUTE, then answers resync_required and stays live', async () => {
    for (let attempt = 1; attempt <= 2; attempt += 1) {
      const { client } = await DesktopTestClient.connect(server.wsUrl, { token, afterSeq: 0 });
      assert.deepEqual(
        (await client.eventsThrough(3)).map((event) => event.seq),
        range(1, 3),
        `replay ${attempt}`,
      );
      await client.close();
    }
    const { client } = await DesktopTestClient.connect(server.wsUrl, { token, afterSeq: 0 });
    const resync = await client.next();
    assert.equal(resync.type, 'resync_required');
    assert.deepEqual([resync.afterSeq, resync.lastSeq], [0, 3]);
    assert.match(String(resync.message), /Too many replays for this user/);
    const seq = await postEvent(server.baseUrl, apiToken, 'n', 4);
    assert.deepEqual(
      (await client.eventsThrough(seq)).map((event) => event.seq),
      [seq],
      'live events go on',
    );
    // A resume message is a replay too.
    client.send({ type: 'resume', afterSeq: 0 });
    assert.equal((await client.next()).type, 'resync_required');
    await client.close();
  });

  it('does not count a connect without a resume point, nor charge another user', async () => {
    const live = await DesktopTestClient.connect(server.wsUrl, { token });
    assert.equal(live.welcome.type, 'welcome');
    await live.client.close();
    const other = await DesktopTestClient.connect(server.wsUrl, { token: otherToken, afterSeq: 0 });
    assert.deepEqual(
      (await other.client.eventsThrough(1)).map((event) => event.seq),
      [1],
    );
    await other.client.close();
  });
});
