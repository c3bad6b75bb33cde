/**
 * Token revocation and the per-replica user cache: an account change revokes exactly the tokens issued before it
 * (defect 11.4: a disable-then-enable cycle in the token's own second used to leave it valid), the replica that made
 * the change refuses at once, and another replica within USER_CACHE_TTL_MS.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { PasswordWorkerPool } from '../src/auth/password-pool.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { createUser, login, startTestServer, TEST_JWT_SECRET, type TestServer } from './support/server.js';

const CACHE_TTL_MS = 400;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function me(server: TestServer, token: string): Promise<number> {
  const response = await fetch(`${server.baseUrl}/api/me`, { headers: { authorization: `Bearer ${token}` } });
  await response.body?.cancel();
  return response.status;
}

async function adminPost(server: TestServer, token: string, path: string): Promise<number> {
  const response = await fetch(`${server.baseUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  await response.body?.cancel();
  return response.status;
}

describe('token revocation across replicas', () => {
  let db: TestDatabase;
  let first: TestServer;
  let second: TestServer;
  let adminToken: string;

  before(async () => {
    db = await createTestDatabase();
    const env = { USER_CACHE_TTL_MS: String(CACHE_TTL_MS) };
    first = await startTestServer(env, { database: db });
    second = await startTestServer(env, { database: db });
    await createUser(db, { username: 'rev-admin', password: 'rev-admin-password', role: 'admin' });
    adminToken = await login(first.baseUrl, 'rev-admin', 'rev-admin-password');
  });
  after(async () => {
    await first.stop();
    await second.stop();
    await db.drop();
  });

  it('refuses a token issued in the same second as a disable-then-enable cycle (exact, not by the clock)', async () => {
    const user = await createUser(db, { username: 'same-second', password: 'same-second-password' });
    // Start early in a second, so the login and both changes share it: whole-second `iat` cannot tell them apart.
    await sleep(1001 - (Date.now() % 1000));
    const token = await login(first.baseUrl, 'same-second', 'same-second-password');
    const issuedIn = Math.floor(Date.now() / 1000);
    assert.equal(await adminPost(first, adminToken, `/api/users/${user.id}/disable`), 200);
    assert.equal(await adminPost(first, adminToken, `/api/users/${user.id}/enable`), 200);
    assert.equal(Math.floor(Date.now() / 1000), issuedIn, 'the cycle left the second: machine too slow to prove it');
    assert.equal(await me(first, token), 401);
    await sleep(CACHE_TTL_MS);
    assert.equal(await me(second, token), 401);
    // A token issued after the cycle, even in the same second, is good.
    assert.equal(await me(first, await login(first.baseUrl, 'same-second', 'same-second-password')), 200);
  });

  it('refuses a disabled user at once on the replica that disabled it, and on another within USER_CACHE_TTL_MS', async () => {
    const user = await createUser(db, { username: 'cached-user', password: 'cached-user-password' });
    const token = await login(first.baseUrl, 'cached-user', 'cached-user-password');
    // Both replicas now hold the user in their caches.
    assert.equal(await me(first, token), 200);
    assert.equal(await me(second, token), 200);
    assert.equal(await adminPost(first, adminToken, `/api/users/${user.id}/disable`), 200);
    assert.equal(await me(first, token), 401);
    await sleep(CACHE_TTL_MS);
    assert.equal(await me(second, token), 401);
  });

  it('refuses a versioned token once the account moved past its version, and a forged older version', async () => {
    const user = await createUser(db, { username: 'versioned', password: 'versioned-password-1' });
    const token = await login(first.baseUrl, 'versioned', 'versioned-password-1');
    assert.equal(await me(first, token), 200);
    await first.backend.deps.users.setPassword(user.id, 'versioned-password-2');
    assert.equal(await me(first, token), 401);
    // A token without a version is judged by its issue time, and only while the account never changed.
    const legacy = await new SignJWT({ username: 'versioned', role: 'user' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(first.backend.deps.config.auth.jwtIssuer)
      .setAudience(first.backend.deps.tokens.audienceValue('api'))
      .setSubject(String(user.id))
      .setIssuedAt(Math.floor(Date.now() / 1000) + 60)
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    assert.equal(await me(first, legacy), 401);
  });
});

describe('password worker pool', () => {
  it('hashes and compares off the main thread, more jobs than workers, and refuses work after close', async () => {
    const pool = new PasswordWorkerPool(2);
    try {
      const hashes = await Promise.all(['one-password', 'two-password', 'three-password'].map((p) => pool.hash(p, 4)));
      assert.deepEqual(
        await Promise.all(
          hashes.map((hash, index) =>
            pool.compare(['one-password', 'two-password', 'three-password'][index] ?? '', hash),
          ),
        ),
        [true, true, true],
      );
      assert.equal(await pool.compare('wrong-password', hashes[0] ?? ''), false);
      assert.equal(await pool.compare('x', 'not a bcrypt hash'), false);
    } finally {
      await pool.close();
    }
    await assert.rejects(pool.hash('late', 4), /closed/);
  });
});
