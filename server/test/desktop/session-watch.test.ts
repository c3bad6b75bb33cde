/**
 * The once-a-second session check (defect 11.8): it snapshots the live sockets, waits on a users query, then judges.
 * A socket that opened during the wait must not be judged on that answer (its user may be missing from it, which
 * read as "token revoked": 4401, and clients log in again on 4401). Here the wait is made long on purpose by holding
 * a table lock on `users`, and the new socket's user comes from the replica's user cache, so it can open meanwhile.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { RowDataPacket } from 'mysql2/promise';
import { desktopChannel } from '../../src/desktop/index.js';
import { createUser, login, startTestServer, type TestServer } from '../support/server.js';
import { DesktopTestClient, desktopToken, eventually } from './client.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('desktop session watch', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ USER_CACHE_TTL_MS: '60000' }, { channels: [desktopChannel] });
  });
  after(() => server.stop());

  async function newUser(username: string) {
    await createUser(server.db, { username, password: 'correct horse battery' });
    const apiToken = await login(server.baseUrl, username, 'correct horse battery');
    return { apiToken, token: await desktopToken(server.baseUrl, apiToken) };
  }

  async function sessionCheckWaiting(): Promise<boolean> {
    const [rows] = await server.db.pool.query<RowDataPacket[]>('SHOW FULL PROCESSLIST');
    return rows.some((row) => /FROM users WHERE id IN/.test(String(row.Info ?? '')));
  }

  it('judges only the sockets of its snapshot: one opened while the users query waits stays open', async () => {
    const early = await newUser('watch-early');
    const late = await newUser('watch-late');
    // The late user is now in this replica's user cache, so its upgrade does not need the locked table.
    const me = await fetch(`${server.baseUrl}/api/me`, { headers: { authorization: `Bearer ${late.apiToken}` } });
    assert.equal(me.status, 200);
    const { client: earlyClient } = await DesktopTestClient.connect(server.wsUrl, { token: early.token });

    const locker = await server.db.pool.getConnection();
    let lateClient: DesktopTestClient | undefined;
    try {
      await locker.query('LOCK TABLES users WRITE');
      await eventually(sessionCheckWaiting, 'the session check to wait on the users table');
      ({ client: lateClient } = await DesktopTestClient.connect(server.wsUrl, { token: late.token }));
    } finally {
      await locker.query('UNLOCK TABLES');
      locker.release();
    }
    // The check that waited, and the next one (which does see the late user), both leave it open.
    const outcome = await Promise.race([lateClient.closed, sleep(2500).then(() => 'open' as const)]);
    assert.equal(outcome, 'open', `the late socket was closed: ${JSON.stringify(outcome)}`);
    const earlyOutcome = await Promise.race([earlyClient.closed, sleep(0).then(() => 'open' as const)]);
    assert.equal(earlyOutcome, 'open');
    lateClient.ws.close();
    earlyClient.ws.close();
  });

  it('reads users through UserRepository, with no SQL of its own (issue 13.5)', () => {
    const source = readFileSync(new URL('../../src/desktop/socket/session-watch.ts', import.meta.url), 'utf8');
    assert.doesNotMatch(source, /\bSELECT\b|\bFROM users\b|options\.pool|db\/index/);
    assert.match(source, /users\.findManyById\(/);
  });
});
