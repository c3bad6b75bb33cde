/** Login throttling per account and per IP, held in MySQL so two replicas on one database share the limits. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Throttle } from '../src/auth/index.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { createUser, startTestServer, type TestServer } from './support/server.js';

// Fixed windows are aligned to the clock: the longest allowed window makes a boundary falling inside a test (and
// resetting its counts half-way) practically impossible, whatever the machine's load.
const WINDOW_SECONDS = 86_400;

async function attempt(server: TestServer, username: string, password: string, ip = '198.51.100.1') {
  return fetch(`${server.baseUrl}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
    body: JSON.stringify({ username, password }),
  });
}

describe('login throttling', () => {
  let db: TestDatabase;
  let replicaA: TestServer;
  let replicaB: TestServer;

  before(async () => {
    db = await createTestDatabase();
    const limits = {
      LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: '3',
      LOGIN_MAX_ATTEMPTS_PER_IP: '6',
      LOGIN_THROTTLE_WINDOW_SECONDS: String(WINDOW_SECONDS),
    };
    replicaA = await startTestServer(limits, { database: db });
    replicaB = await startTestServer(limits, { database: db });
    for (const username of ['victim', 'shared', 'resets', 'other']) {
      await createUser(db, { username, password: `${username}-password` });
    }
  });
  after(async () => {
    await replicaA.stop();
    await replicaB.stop();
    await db.drop();
  });

  it('answers 429 with Retry-After once an account has used its attempts, even with the right password', async () => {
    for (let index = 0; index < 3; index += 1) {
      assert.equal((await attempt(replicaA, 'victim', 'wrong-password', `192.0.2.${index}`)).status, 401);
    }
    const refused = await attempt(replicaA, 'victim', 'victim-password', '192.0.2.99');
    assert.equal(refused.status, 429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= WINDOW_SECONDS, `Retry-After ${String(retryAfter)}`);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'too_many_requests');
    // Another account is unaffected.
    assert.equal((await attempt(replicaA, 'other', 'other-password', '192.0.2.98')).status, 200);
  });

  it('shares the account limit between two replicas on one database', async () => {
    assert.equal((await attempt(replicaA, 'shared', 'wrong-password', '192.0.2.10')).status, 401);
    assert.equal((await attempt(replicaB, 'shared', 'wrong-password', '192.0.2.11')).status, 401);
    assert.equal((await attempt(replicaA, 'shared', 'wrong-password', '192.0.2.12')).status, 401);
    assert.equal((await attempt(replicaB, 'shared', 'shared-password', '192.0.2.13')).status, 429);
  });

  it('limits one IP across accounts and replicas, leaving other IPs alone', async () => {
    const ip = '203.0.113.7';
    const statuses: number[] = [];
    for (let index = 0; index < 7; index += 1) {
      const replica = index % 2 === 0 ? replicaA : replicaB;
      statuses.push((await attempt(replica, `nobody-${index}`, 'wrong-password', ip)).status);
    }
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 401, 429]);
    assert.equal((await attempt(replicaB, 'nobody-x', 'wrong-password', '203.0.113.8')).status, 401);
  });

  it('keys the IP limit on the address the load balancer appended, not on what the client wrote before it', async () => {
    // Behind the ALB (TRUST_PROXY_HOPS=1) a client controls every X-Forwarded-For entry but the last one.
    const statuses: number[] = [];
    for (let index = 0; index < 7; index += 1) {
      const spoofed = `10.9.${index}.1, 172.16.${index}.2, 203.0.113.20`;
      statuses.push((await attempt(replicaA, `spoofer-${index}`, 'wrong-password', spoofed)).status);
    }
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 401, 429]);
  });

  it('counts a whole IPv6 /64 as one client', async () => {
    const statuses: number[] = [];
    for (let index = 0; index < 7; index += 1) {
      statuses.push((await attempt(replicaB, `v6-${index}`, 'wrong-password', `2001:db8:7:7::${index + 1}`)).status);
    }
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 401, 429]);
    assert.equal((await attempt(replicaB, 'v6-x', 'wrong-password', '2001:db8:7:8::1')).status, 401);
  });

  it('ignores X-Forwarded-For entirely with TRUST_PROXY_HOPS=0 (no proxy in front)', async () => {
    const direct = await startTestServer(
      { TRUST_PROXY_HOPS: '0', LOGIN_MAX_ATTEMPTS_PER_IP: '2', LOGIN_THROTTLE_WINDOW_SECONDS: String(WINDOW_SECONDS) },
      { database: await createTestDatabase() },
    );
    try {
      const statuses: number[] = [];
      for (let index = 0; index < 3; index += 1) {
        statuses.push((await attempt(direct, `direct-${index}`, 'wrong-password', `198.51.100.${index}`)).status);
      }
      assert.deepEqual(statuses, [401, 401, 429]);
    } finally {
      await direct.stop();
      await direct.db.drop();
    }
  });

  it('counts concurrent attempts exactly: no burst slips under the limit', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        attempt(index % 2 ? replicaA : replicaB, 'burst', 'wrong-password', `192.0.2.${50 + index}`).then(
          (response) => response.status,
        ),
      ),
    );
    assert.equal(statuses.filter((status) => status === 401).length, 3);
    assert.equal(statuses.filter((status) => status === 429).length, 5);
  });

  it('forgets an account’s failures after a successful login', async () => {
    for (let round = 0; round < 2; round += 1) {
      assert.equal((await attempt(replicaA, 'resets', 'wrong-password', `192.0.2.${30 + round}`)).status, 401);
      assert.equal((await attempt(replicaA, 'resets', 'wrong-password', `192.0.2.${32 + round}`)).status, 401);
      assert.equal((await attempt(replicaB, 'resets', 'resets-password', `192.0.2.${34 + round}`)).status, 200);
    }
  });

  it('starts a fresh count in the next window (Throttle used directly, as other endpoints may)', async () => {
    const throttle = new Throttle(db.pool, { scope: 'test-window', limit: 2, windowSeconds: 60 });
    const windowStart = Math.floor(Date.now() / 60_000) * 60_000;
    const results = [];
    for (let index = 0; index < 3; index += 1) results.push(await throttle.hit('key', windowStart + 50_000));
    assert.deepEqual(
      results.map((result) => [result.allowed, result.retryAfterSeconds]),
      [
        [true, 10],
        [true, 10],
        [false, 10],
      ],
    );
    assert.equal((await throttle.hit('key', windowStart + 60_000)).allowed, true);
    await throttle.reset('key');
    assert.equal((await throttle.hit('key', windowStart + 60_000)).hits, 1);
  });
});
