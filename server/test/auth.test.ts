/** Login, /api/me, the admin user endpoints and token verification against a real server and MariaDB. */
import { after, before, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import bcrypt from 'bcryptjs';
import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SignJWT } from 'jose';
import { requireAuth, UserRepository, type AuthContext } from '../src/auth/index.js';
import type { RowDataPacket } from '../src/db/index.js';
import {
  createUser,
  login,
  startTestServer,
  TEST_BCRYPT_ROUNDS,
  TEST_JWT_SECRET,
  type TestServer,
} from './support/server.js';

interface ErrorBody {
  error: { code: string; message: string };
}

async function call(
  server: TestServer,
  method: string,
  path: string,
  options: { token?: string; body?: unknown } = {},
) {
  const response = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: options.body === undefined ? null : JSON.stringify(options.body),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

/**
 * Token `iat` counts whole seconds, so a change in the same second as the token's issue cannot be told apart; the
 * revocation tests make the change in a later second, as it is in practice.
 */
async function sleepUntilNextSecond(): Promise<void> {
  await sleep(1001 - (Date.now() % 1000));
}

function errorCode(body: unknown): string {
  return (body as ErrorBody).error.code;
}

describe('auth and users', () => {
  let server: TestServer;
  let adminToken: string;
  let userToken: string;
  let userId: number;
  const secret = new TextEncoder().encode(TEST_JWT_SECRET);

  before(async () => {
    server = await startTestServer();
    await createUser(server.db, { username: 'root-admin', password: 'admin-password-1', role: 'admin' });
    userId = (await createUser(server.db, { username: 'alice', password: 'alice-password-1' })).id;
    adminToken = await login(server.baseUrl, 'root-admin', 'admin-password-1');
    userToken = await login(server.baseUrl, 'alice', 'alice-password-1');
  });
  after(() => server.stop());

  describe('POST /api/login', () => {
    it('returns a token, its lifetime and the user', async () => {
      const { status, headers, body } = await call(server, 'POST', '/api/login', {
        body: { username: 'Alice', password: 'alice-password-1' },
      });
      assert.equal(status, 200);
      assert.equal(headers.get('cache-control'), 'no-store');
      const answer = body as { token: string; expiresIn: number; user: unknown };
      assert.equal(answer.expiresIn, 8 * 3600);
      assert.deepEqual(answer.user, { id: userId, username: 'alice', role: 'user' });
      const claims = await server.backend.deps.tokens.verify(answer.token, 'api');
      assert.equal(claims.sub, String(userId));
      assert.ok(claims.jti);
    });

    it('gives an unknown user and a wrong password the same answer', async () => {
      const wrong = await call(server, 'POST', '/api/login', { body: { username: 'alice', password: 'nope-nope-1' } });
      const unknown = await call(server, 'POST', '/api/login', {
        body: { username: 'nobody', password: 'nope-nope-1' },
      });
      assert.equal(wrong.status, 401);
      assert.deepEqual(unknown, { ...wrong, headers: unknown.headers });
      assert.deepEqual(wrong.body, { error: { code: 'invalid_credentials', message: 'Invalid username or password' } });
    });

    it('does the same bcrypt work for an unknown user as for a wrong password, from the very first attempt', async () => {
      // Timing is measured by `npm run bench:login`; here, the work itself: one comparison against a hash of the same
      // cost, and the dummy hash made once per process whichever kind of attempt comes first.
      const work = async (first: 'unknown' | 'existing') => {
        const repository = new UserRepository(server.db.pool, { bcryptRounds: Number(TEST_BCRYPT_ROUNDS) });
        const hash = mock.method(bcrypt, 'hash');
        const compare = mock.method(bcrypt, 'compare');
        try {
          const calls = [];
          for (const username of first === 'unknown' ? ['nobody', 'alice'] : ['alice', 'nobody']) {
            assert.equal(await repository.verifyCredentials(username, 'wrong-password-1'), undefined);
            const [compared] = compare.mock.calls.map((call) => call.arguments[1]);
            calls.push({ username, hashes: hash.mock.callCount(), rounds: bcrypt.getRounds(compared ?? '') });
            hash.mock.resetCalls();
            compare.mock.resetCalls();
          }
          return calls;
        } finally {
          hash.mock.restore();
          compare.mock.restore();
        }
      };
      const rounds = Number(TEST_BCRYPT_ROUNDS);
      assert.deepEqual(await work('unknown'), [
        { username: 'nobody', hashes: 1, rounds },
        { username: 'alice', hashes: 0, rounds },
      ]);
      assert.deepEqual(await work('existing'), [
        { username: 'alice', hashes: 1, rounds },
        { username: 'nobody', hashes: 0, rounds },
      ]);
    });

    it('re-hashes a password at the new cost after BCRYPT_ROUNDS changed, keeping the user’s tokens', async () => {
      const frank = await createUser(server.db, { username: 'frank', password: 'frank-password-1' });
      const token = await login(server.baseUrl, 'frank', 'frank-password-1');
      const storedHash = async () => {
        const [[row]] = await server.db.pool.execute<RowDataPacket[]>('SELECT password_hash FROM users WHERE id = ?', [
          frank.id,
        ]);
        return String(row?.password_hash);
      };
      assert.equal(bcrypt.getRounds(await storedHash()), Number(TEST_BCRYPT_ROUNDS));
      await sleepUntilNextSecond(); // so a bumped updated_at would revoke the token
      const costlier = new UserRepository(server.db.pool, { bcryptRounds: Number(TEST_BCRYPT_ROUNDS) + 1 });
      assert.equal((await costlier.verifyCredentials('frank', 'frank-password-1'))?.id, frank.id);
      assert.equal(bcrypt.getRounds(await storedHash()), Number(TEST_BCRYPT_ROUNDS) + 1);
      assert.equal((await costlier.verifyCredentials('frank', 'frank-password-1'))?.id, frank.id);
      assert.equal((await call(server, 'GET', '/api/me', { token })).status, 200);
    });

    it('answers 400 naming the missing fields', async () => {
      const { status, body } = await call(server, 'POST', '/api/login', { body: { username: 'alice' } });
      assert.equal(status, 400);
      assert.equal(errorCode(body), 'invalid_request');
      assert.match((body as ErrorBody).error.message, /password/);
    });
  });

  describe('GET /api/me', () => {
    it('answers the caller', async () => {
      const { status, body } = await call(server, 'GET', '/api/me', { token: userToken });
      assert.equal(status, 200);
      assert.equal((body as { user: { id: number } }).user.id, userId);
    });

    it('refuses a missing or malformed Authorization header', async () => {
      assert.equal((await call(server, 'GET', '/api/me')).status, 401);
      const response = await fetch(`${server.baseUrl}/api/me`, { headers: { authorization: `Basic abc` } });
      assert.equal(response.status, 401);
      assert.equal(response.headers.get('www-authenticate'), 'Bearer');
    });
  });

  describe('token tampering', () => {
    const claims = () => ({ username: 'alice', role: 'admin' });
    const sign = (
      options: {
        secret?: Uint8Array;
        alg?: string;
        issuer?: string;
        audience?: string;
        /** null: no `exp` claim at all. */
        exp?: number | null;
        nbf?: number;
      } = {},
    ) => {
      const jwt = new SignJWT(claims())
        .setProtectedHeader({ alg: options.alg ?? 'HS256' })
        .setSubject(String(userId))
        .setIssuer(options.issuer ?? server.backend.deps.config.auth.jwtIssuer)
        .setAudience(options.audience ?? server.backend.deps.config.auth.audiences.api)
        .setIssuedAt();
      if (options.exp !== null) jwt.setExpirationTime(options.exp ?? Math.floor(Date.now() / 1000) + 600);
      if (options.nbf !== undefined) jwt.setNotBefore(options.nbf);
      return jwt.sign(options.secret ?? secret);
    };

    it('accepts a correctly signed token (the forgeries below differ in one point only)', async () => {
      assert.equal((await call(server, 'GET', '/api/me', { token: await sign() })).status, 200);
    });

    const forgeries: [string, () => Promise<string>][] = [
      ['a wrong signature', () => sign({ secret: new TextEncoder().encode('another-secret-of-at-least-32-bytes!!') })],
      ['another HMAC algorithm with the right secret', () => sign({ alg: 'HS512' })],
      ['the wrong issuer', () => sign({ issuer: 'someone-else' })],
      ['the desktop audience', () => sign({ audience: server.backend.deps.config.auth.audiences.desktop })],
      ['an expired token', () => sign({ exp: Math.floor(Date.now() / 1000) - 120 })],
      [
        'alg none',
        async () => {
          const [header, payload] = (await sign()).split('.');
          assert.ok(header && payload);
          const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
          return `${none}.${payload}.`;
        },
      ],
      [
        'a critical header extension it does not understand',
        async () => {
          // jose will not sign it, so it is built by hand: correctly signed, but with a `crit` nobody understands.
          const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
          const [, payload] = (await sign()).split('.');
          const input = `${encode({ alg: 'HS256', crit: ['x'], x: 1 })}.${payload ?? ''}`;
          return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
        },
      ],
      [
        'a token not valid before a time in the future',
        () => sign({ nbf: Math.floor(Date.now() / 1000) + 600, exp: Math.floor(Date.now() / 1000) + 1200 }),
      ],
      ['a token without an expiry', () => sign({ exp: null })],
      ['a token with a fifth part', async () => `${await sign()}.extra`],
      [
        'a payload edited after signing',
        async () => {
          const [header, payload, signature] = (await sign()).split('.');
          const edited = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as Record<string, unknown>;
          edited.sub = '999';
          return `${header ?? ''}.${Buffer.from(JSON.stringify(edited)).toString('base64url')}.${signature ?? ''}`;
        },
      ],
    ];
    for (const [name, forge] of forgeries) {
      it(`refuses ${name}`, async () => {
        const { status, body } = await call(server, 'GET', '/api/me', { token: await forge() });
        assert.equal(status, 401);
        assert.equal(errorCode(body), 'invalid_token');
      });
    }

    // The server remembers tokens whose signature it checked (keyed by the whole token); these prove the memory never
    // stands in for a check.
    it('refuses a token it accepted before once that token has expired', async () => {
      const token = await sign({ exp: Math.floor(Date.now() / 1000) + 2 });
      assert.equal((await call(server, 'GET', '/api/me', { token })).status, 200);
      await sleep(3000 - (Date.now() % 1000));
      const { status, body } = await call(server, 'GET', '/api/me', { token });
      assert.equal(status, 401);
      assert.equal(errorCode(body), 'invalid_token');
    });

    it('refuses the payload of a token it accepted before when another signature comes with it', async () => {
      const token = await sign();
      assert.equal((await call(server, 'GET', '/api/me', { token })).status, 200);
      const [header, payload] = token.split('.');
      const otherSignature = createHmac('sha256', 'another-secret-of-at-least-32-bytes!!')
        .update(`${header ?? ''}.${payload ?? ''}`)
        .digest('base64url');
      const { status } = await call(server, 'GET', '/api/me', {
        token: `${header ?? ''}.${payload ?? ''}.${otherSignature}`,
      });
      assert.equal(status, 401);
    });

    it('accepts a signature in its canonical base64url spelling only', async () => {
      const token = await sign();
      const [header, payload, signature = ''] = token.split('.');
      // 32 bytes are 43 characters; the last carries 4 bits and 2 spare ones, which a decoder ignores.
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const last = alphabet.indexOf(signature.at(-1) ?? '');
      const respelled = `${signature.slice(0, -1)}${alphabet[last ^ 1] ?? ''}`;
      assert.deepEqual(Buffer.from(respelled, 'base64url'), Buffer.from(signature, 'base64url'), 'same bytes');
      assert.equal((await call(server, 'GET', '/api/me', { token })).status, 200);
      const { status } = await call(server, 'GET', '/api/me', {
        token: `${header ?? ''}.${payload ?? ''}.${respelled}`,
      });
      assert.equal(status, 401);
    });

    it('refuses an API token where only desktop tokens are accepted, and vice versa', async () => {
      await assert.rejects(server.backend.deps.tokens.verify(userToken, 'desktop'), { status: 401 });
      const desktop = await server.backend.deps.tokens.issue({
        user: { id: userId, username: 'alice', role: 'user', tokenVersion: 0 },
        audience: 'desktop',
      });
      assert.equal((await server.backend.deps.tokens.verify(desktop.token, 'desktop')).sub, String(userId));
      assert.equal((await call(server, 'GET', '/api/me', { token: desktop.token })).status, 401);
    });
  });

  describe('admin user endpoints', () => {
    it('are refused to non-admins (403) and to anonymous callers (401)', async () => {
      assert.equal((await call(server, 'GET', '/api/users', { token: userToken })).status, 403);
      assert.equal((await call(server, 'GET', '/api/users')).status, 401);
      const create = await call(server, 'POST', '/api/users', {
        token: userToken,
        body: { username: 'mallory', password: 'mallory-password', role: 'admin' },
      });
      assert.equal(create.status, 403);
      assert.equal(errorCode(create.body), 'forbidden');
    });

    it('create, list, disable and enable users', async () => {
      const created = await call(server, 'POST', '/api/users', {
        token: adminToken,
        body: { username: 'Bob', password: 'bob-password-1', role: 'user' },
      });
      assert.equal(created.status, 201);
      const bob = (created.body as { user: { id: number; username: string; disabled: boolean } }).user;
      assert.equal(bob.username, 'bob');
      assert.equal(created.headers.get('location'), `/api/users/${bob.id}`);
      const bobToken = await login(server.baseUrl, 'bob', 'bob-password-1');

      const listed = await call(server, 'GET', '/api/users', { token: adminToken });
      const names = (listed.body as { users: { username: string }[] }).users.map((user) => user.username);
      assert.ok(['root-admin', 'alice', 'bob'].every((name) => names.includes(name)));

      const disabled = await call(server, 'POST', `/api/users/${bob.id}/disable`, { token: adminToken });
      assert.equal(disabled.status, 200);
      assert.equal((disabled.body as { user: { disabled: boolean } }).user.disabled, true);
      // The token issued before disabling stops working at once, and a new login gets the generic answer.
      assert.equal((await call(server, 'GET', '/api/me', { token: bobToken })).status, 401);
      const relogin = await call(server, 'POST', '/api/login', {
        body: { username: 'bob', password: 'bob-password-1' },
      });
      assert.equal(errorCode(relogin.body), 'invalid_credentials');

      // Re-enabling lets bob log in again, but does not revive the token he held when he was disabled.
      await sleepUntilNextSecond();
      assert.equal((await call(server, 'POST', `/api/users/${bob.id}/enable`, { token: adminToken })).status, 200);
      const stale = await call(server, 'GET', '/api/me', { token: bobToken });
      assert.deepEqual([stale.status, errorCode(stale.body)], [401, 'invalid_token']);
      const fresh = await login(server.baseUrl, 'bob', 'bob-password-1');
      assert.equal((await call(server, 'GET', '/api/me', { token: fresh })).status, 200);
    });

    it('refuses tokens issued before a password change', async () => {
      const erin = await createUser(server.db, { username: 'erin', password: 'erin-password-1' });
      const before = await login(server.baseUrl, 'erin', 'erin-password-1');
      await sleepUntilNextSecond();
      assert.equal(await server.backend.deps.users.setPassword(erin.id, 'erin-password-2'), true);
      assert.equal((await call(server, 'GET', '/api/me', { token: before })).status, 401);
      const after = await login(server.baseUrl, 'erin', 'erin-password-2');
      assert.equal((await call(server, 'GET', '/api/me', { token: after })).status, 200);
    });

    it('refuses the token of a deleted user', async () => {
      const ghost = await createUser(server.db, { username: 'ghost', password: 'ghost-password' });
      const token = await login(server.baseUrl, 'ghost', 'ghost-password');
      await server.db.pool.execute('DELETE FROM users WHERE id = ?', [ghost.id]);
      const { status, body } = await call(server, 'GET', '/api/me', { token });
      assert.equal(status, 401);
      assert.equal(errorCode(body), 'invalid_token');
    });

    it('refuses duplicates (case-insensitively) with 409', async () => {
      const { status, body } = await call(server, 'POST', '/api/users', {
        token: adminToken,
        body: { username: 'ALICE', password: 'another-password' },
      });
      assert.equal(status, 409);
      assert.equal(errorCode(body), 'username_taken');
    });

    it('refuses a bad username, a short password and an unknown role, naming each', async () => {
      const { status, body } = await call(server, 'POST', '/api/users', {
        token: adminToken,
        body: { username: 'a b', password: 'short', role: 'root' },
      });
      assert.equal(status, 400);
      const message = (body as ErrorBody).error.message;
      assert.match(message, /username/);
      assert.match(message, /role/);
      const short = await call(server, 'POST', '/api/users', {
        token: adminToken,
        body: { username: 'carol', password: 'short' },
      });
      assert.match((short.body as ErrorBody).error.message, /password: must be at least 8/);
    });

    it('refuses passwords over 72 bytes instead of truncating them', async () => {
      const seventyTwo = 'é'.repeat(36); // 72 bytes in UTF-8
      const tooLong = await call(server, 'POST', '/api/users', {
        token: adminToken,
        body: { username: 'dave', password: `${seventyTwo}x` },
      });
      assert.equal(tooLong.status, 400);
      assert.match((tooLong.body as ErrorBody).error.message, /at most 72 bytes/);

      const ok = await call(server, 'POST', '/api/users', {
        token: adminToken,
        body: { username: 'dave', password: seventyTwo },
      });
      assert.equal(ok.status, 201);
      await login(server.baseUrl, 'dave', seventyTwo);
      // bcrypt would accept this if it were silently truncated to 72 bytes.
      const longer = await call(server, 'POST', '/api/login', {
        body: { username: 'dave', password: `${seventyTwo}!` },
      });
      assert.equal(longer.status, 401);
    });

    it('refuses to disable oneself (409), an unknown user (404) and a malformed id (400)', async () => {
      const admin = await server.backend.deps.users.findByUsername('root-admin');
      assert.ok(admin);
      const self = await call(server, 'POST', `/api/users/${admin.id}/disable`, { token: adminToken });
      assert.equal(self.status, 409);
      assert.equal((await call(server, 'POST', '/api/users/999999/disable', { token: adminToken })).status, 404);
      assert.equal((await call(server, 'POST', '/api/users/abc/disable', { token: adminToken })).status, 400);
    });
  });

  describe('AUTH_REQUIRED=false (local development)', () => {
    let open: TestServer;
    before(async () => {
      open = await startTestServer({ AUTH_REQUIRED: 'false', JWT_SECRET: '' }, { database: server.db });
    });
    after(() => open.stop());

    it('acts as the first enabled admin when no token is sent, and still verifies tokens that are sent', async () => {
      const anonymous = await call(open, 'GET', '/api/me');
      assert.equal(anonymous.status, 200);
      assert.equal((anonymous.body as { user: { username: string } }).user.username, 'root-admin');
      assert.equal((await call(open, 'GET', '/api/me', { token: 'garbage' })).status, 401);
    });

    it('spares only requests from this machine: a token-less request from another host is refused', async () => {
      const handler = requireAuth(open.backend.deps);
      const anonymousFrom = async (remoteAddress: string) => {
        const res = { locals: {} as { auth?: AuthContext } };
        const req = { headers: {}, socket: { remoteAddress } };
        try {
          await (handler as (req: unknown, res: unknown, next: () => void) => Promise<void>)(req, res, () => undefined);
          return res.locals.auth?.user.username;
        } catch (error) {
          return (error as { status?: number }).status;
        }
      };
      assert.equal(await anonymousFrom('::ffff:127.0.0.1'), 'root-admin');
      assert.equal(await anonymousFrom('::1'), 'root-admin');
      assert.equal(await anonymousFrom('192.0.2.2'), 401);
      assert.equal(await anonymousFrom('::ffff:10.1.2.3'), 401);
    });
  });
});
