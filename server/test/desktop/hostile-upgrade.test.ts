/**
 * Upgrade requests from hostile or broken clients (issue 11, defects 1, 5 and 7), on real sockets: resets in the
 * middle of an answer, handshakes ws would refuse, and more sockets than a user, an address or a replica may hold.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { desktopChannel } from '../../src/desktop/index.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { createUser, login, spawnServer, startTestServer, type TestServer } from '../support/server.js';
import { DesktopTestClient, desktopToken, eventually, metricValue } from './client.js';
import { countQueries, halfClosedUpgrade, handshakeHeaders, rawUpgrade, resetUpgrade } from './raw-upgrade.js';

const PASSWORD = 'correct horse battery';
/** No background polling during a test, so every pool acquisition seen comes from the request under test. */
const QUIET = { DESKTOP_EVENT_POLL_MS: '60000' };

async function newDesktopToken(baseUrl: string, db: TestDatabase, username: string): Promise<string> {
  await createUser(db, { username, password: PASSWORD });
  return desktopToken(baseUrl, await login(baseUrl, username, PASSWORD));
}

function errorCode(body: string): string {
  return (JSON.parse(body) as { error: { code: string } }).error.code;
}

describe('upgrade clients that reset at once', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
  });
  after(() => db.drop());

  it('never crash the process: five resets each on an unknown path, a refused and an admitted /ws/desktop', async () => {
    const server = await spawnServer(db.env);
    try {
      const token = await newDesktopToken(server.baseUrl, db, 'resetter');
      const valid = handshakeHeaders({ Authorization: `Bearer ${token}` });
      const attempts: [string, Record<string, string>][] = [
        ['/nowhere', handshakeHeaders()],
        ['/ws/desktop', handshakeHeaders()],
        ['/ws/desktop', handshakeHeaders({ 'Sec-WebSocket-Key': undefined })],
        ['/ws/desktop', valid],
      ];
      for (const [path, headers] of attempts) {
        for (let attempt = 0; attempt < 5; attempt += 1) await resetUpgrade(server.baseUrl, path, headers, attempt);
      }
      const health = await fetch(`${server.baseUrl}/health`);
      assert.equal(health.status, 200, server.output());
      const { client } = await DesktopTestClient.connect(server.wsUrl, { token });
      await client.close();
      const exited = await Promise.race([server.exit.then(() => true), Promise.resolve(false)]);
      assert.equal(exited, false, server.output());
      assert.doesNotMatch(server.output(), /ECONNRESET|unhandled/i);
    } finally {
      server.kill('SIGTERM');
      await server.exit;
    }
  });
});

describe('upgrade clients that half-close during admission', () => {
  it('give their socket slot back: a user is never left at its cap with no socket open', async () => {
    const server = await startTestServer(
      { DESKTOP_MAX_SOCKETS_PER_USER: '2', ...QUIET },
      { channels: [desktopChannel] },
    );
    try {
      const token = await newDesktopToken(server.baseUrl, server.db, 'halfcloser');
      // A FIN during the database checks made ws drop the socket without calling back: the slot stayed taken.
      for (let attempt = 0; attempt < 10; attempt += 1) {
        await halfClosedUpgrade(server.baseUrl, handshakeHeaders({ Authorization: `Bearer ${token}` }));
      }
      // A half-close that raced to a 101 closes like any socket: wait for that, not for a slot that never returns.
      await eventually(
        async () => (await metricValue(server.metricsUrl, 'desktop_ws_open_connections')) === 0,
        'the half-closed sockets to be gone',
      );
      const clients: DesktopTestClient[] = [];
      for (let socket = 0; socket < 2; socket += 1) {
        clients.push((await DesktopTestClient.connect(server.wsUrl, { token })).client);
      }
      await Promise.all(clients.map((client) => client.close()));
    } finally {
      await server.stop();
    }
  });
});

describe('broken handshakes', () => {
  let server: TestServer;
  let token: string;
  before(async () => {
    server = await startTestServer(QUIET, { channels: [desktopChannel] });
    token = await newDesktopToken(server.baseUrl, server.db, 'handshaker');
  });
  after(() => server.stop());

  const broken: { name: string; method?: string; headers: Record<string, string | undefined>; status: number }[] = [
    { name: 'no Sec-WebSocket-Key', headers: { 'Sec-WebSocket-Key': undefined }, status: 400 },
    { name: 'a malformed Sec-WebSocket-Key', headers: { 'Sec-WebSocket-Key': 'short' }, status: 400 },
    { name: 'no Sec-WebSocket-Version', headers: { 'Sec-WebSocket-Version': undefined }, status: 400 },
    { name: 'Sec-WebSocket-Version 12', headers: { 'Sec-WebSocket-Version': '12' }, status: 400 },
    { name: 'an Upgrade other than websocket', headers: { Upgrade: 'h2c' }, status: 400 },
    { name: 'a malformed subprotocol list', headers: { 'Sec-WebSocket-Protocol': 'desktop.v1,,(x)' }, status: 400 },
    { name: 'a POST', method: 'POST', headers: {}, status: 405 },
  ];
  for (const { name, method, headers, status } of broken) {
    it(`answers ${name} with ${status} and the JSON error, before any database work`, async () => {
      const queries = countQueries(server.backend.deps.pool);
      try {
        const answer = await rawUpgrade(server.baseUrl, {
          ...(method ? { method } : {}),
          headers: handshakeHeaders({ Authorization: `Bearer ${token}`, ...headers }),
        });
        assert.equal(answer.status, status);
        assert.match(answer.headers['content-type'] ?? '', /^application\/json/);
        assert.equal(errorCode(answer.body), 'bad_handshake');
        if (status === 405) assert.equal(answer.headers.allow, 'GET');
        if (name.includes('Version')) assert.equal(answer.headers['sec-websocket-version'], '13, 8');
        assert.equal(queries.count, 0, 'the refusal ran a database query');
      } finally {
        queries.stop();
      }
    });
  }

  it('still runs the database checks for a well-formed handshake (the query counter can see them)', async () => {
    const queries = countQueries(server.backend.deps.pool);
    try {
      const { client } = await DesktopTestClient.connect(server.wsUrl, { token });
      await client.close();
      assert.ok(queries.count >= 2, `expected the grant and user lookups, saw ${queries.count} queries`);
    } finally {
      queries.stop();
    }
  });

  it('counts the refusals as bad_handshake', async () => {
    const refused = await metricValue(server.metricsUrl, 'desktop_ws_rejected_upgrades_total{reason="bad_handshake"}');
    assert.ok(refused >= broken.length, String(refused));
  });
});

describe('an upgrade while the database pool is saturated', () => {
  it('is refused with 503 database_busy and Retry-After, never 500', async () => {
    const server = await startTestServer(
      { DB_POOL_SIZE: '1', DB_QUEUE_LIMIT: '1', ...QUIET },
      { channels: [desktopChannel] },
    );
    try {
      const token = await newDesktopToken(server.baseUrl, server.db, 'saturated');
      const { pool } = server.backend.deps;
      const held = await pool.getConnection();
      const queued = pool.query('SELECT 1'); // takes the one place in the queue
      try {
        const answer = await rawUpgrade(server.baseUrl, {
          headers: handshakeHeaders({ Authorization: `Bearer ${token}` }),
        });
        assert.equal(answer.status, 503, answer.body);
        assert.equal(errorCode(answer.body), 'database_busy');
        assert.ok(Number(answer.headers['retry-after']) > 0);
      } finally {
        held.release();
        await queued;
      }
    } finally {
      await server.stop();
    }
  });
});
