import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { RowDataPacket } from 'mysql2/promise';
import { desktopChannel } from '../../src/desktop/index.js';
import { createUser, login, startTestServer, type TestServer } from '../support/server.js';
import {
  DesktopTestClient,
  desktopToken,
  pkcePair,
  postJson,
  redeemCode,
  REDIRECT_URI,
  refusedUpgrade,
  requestCode,
} from './client.js';

describe('desktop login (RFC 8252 + PKCE)', () => {
  let server: TestServer;
  let apiToken: string;

  before(async () => {
    server = await startTestServer({}, { channels: [desktopChannel] });
    await createUser(server.db, { username: 'dana', password: 'correct horse battery' });
    apiToken = await login(server.baseUrl, 'dana', 'correct horse battery');
  });
  after(() => server.stop());

  it('exchanges a code for a desktop token that opens /ws/desktop (runbook smoke tests 6 and 7)', async () => {
    const { verifier, challenge } = pkcePair();
    const code = await requestCode(server.baseUrl, apiToken, challenge);
    const answer = await redeemCode(server.baseUrl, code, verifier);
    assert.equal(answer.status, 200);
    assert.equal(answer.body.token_type, 'Bearer');
    assert.equal(typeof answer.body.expires_in, 'number');
    const { client, welcome } = await DesktopTestClient.connect(server.wsUrl, {
      token: answer.body.access_token as string,
    });
    assert.equal((welcome.user as { username: string }).username, 'dana');
    await client.close();
  });

  it('hands out codes of at least 128 random bits and stores only their hash', async () => {
    const { challenge } = pkcePair();
    const code = await requestCode(server.baseUrl, apiToken, challenge);
    assert.ok(Buffer.from(code, 'base64url').length >= 16);
    const [rows] = await server.db.pool.query<RowDataPacket[]>('SELECT code_hash FROM desktop_grants');
    const stored = rows.map((row) => (row.code_hash as Buffer).toString('hex'));
    assert.ok(stored.includes(createHash('sha256').update(code).digest('hex')));
    const [plain] = await server.db.pool.query<RowDataPacket[]>(
      'SELECT COUNT(*) AS n FROM desktop_grants WHERE code_hash = ? OR code_challenge = ? OR redirect_uri = ?',
      [code, code, code],
    );
    assert.equal(Number(plain[0]?.n), 0);
  });

  it('refuses a replayed code and revokes the token issued from it, live sockets included', async () => {
    const { verifier, challenge } = pkcePair();
    const code = await requestCode(server.baseUrl, apiToken, challenge);
    const first = await redeemCode(server.baseUrl, code, verifier);
    assert.equal(first.status, 200);
    const token = first.body.access_token as string;
    const { client } = await DesktopTestClient.connect(server.wsUrl, { token });

    const replay = await redeemCode(server.baseUrl, code, verifier);
    assert.equal(replay.status, 400);
    assert.equal((replay.body.error as { code: string }).code, 'invalid_grant');
    assert.equal((await client.waitClosed()).code, 4401);
    assert.equal((await refusedUpgrade(server.wsUrl, { token })).status, 401);
    const post = await postJson(`${server.baseUrl}/api/desktop/events`, { topic: 't', data: 1 }, token);
    assert.equal(post.status, 401);
  });

  it('lets exactly one of concurrent redemptions of a code through', async () => {
    const { verifier, challenge } = pkcePair();
    const code = await requestCode(server.baseUrl, apiToken, challenge);
    const answers = await Promise.all(Array.from({ length: 6 }, () => redeemCode(server.baseUrl, code, verifier)));
    assert.deepEqual(answers.map((answer) => answer.status).sort(), [200, 400, 400, 400, 400, 400]);
  });

  it('refuses a wrong verifier, and the code cannot be used afterwards', async () => {
    const { verifier, challenge } = pkcePair();
    const code = await requestCode(server.baseUrl, apiToken, challenge);
    const wrong = await redeemCode(server.baseUrl, code, pkcePair().verifier);
    assert.equal(wrong.status, 400);
    assert.equal((wrong.body.error as { code: string }).code, 'invalid_grant');
    assert.equal((await redeemCode(server.baseUrl, code, verifier)).status, 400);
  });

  it('refuses a redirect_uri other than the one the code was issued for', async () => {
    const { verifier, challenge } = pkcePair();
    const code = await requestCode(server.baseUrl, apiToken, challenge);
    const answer = await redeemCode(server.baseUrl, code, verifier, 'http://127.0.0.1:53683/callback');
    assert.equal(answer.status, 400);
    assert.equal((answer.body.error as { code: string }).code, 'invalid_grant');
  });

  it('refuses an expired code', async () => {
    const { verifier, challenge } = pkcePair();
    const code = await requestCode(server.baseUrl, apiToken, challenge);
    await server.db.pool.query(
      'UPDATE desktop_grants SET expires_at = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND WHERE code_hash = ?',
      [createHash('sha256').update(code).digest()],
    );
    assert.equal((await redeemCode(server.baseUrl, code, verifier)).status, 400);
  });

  it('refuses an unknown code and a malformed verifier', async () => {
    assert.equal((await redeemCode(server.baseUrl, 'no-such-code', pkcePair().verifier)).status, 400);
    const { challenge } = pkcePair();
    const code = await requestCode(server.baseUrl, apiToken, challenge);
    const short = await redeemCode(server.baseUrl, code, 'too-short');
    assert.equal(short.status, 400);
    assert.equal((short.body.error as { code: string }).code, 'invalid_request');
  });

  it('accepts only loopback IP redirect URIs with a port', async () => {
    const { challenge } = pkcePair();
    for (const redirectUri of [
      'http://localhost:53682/callback',
      'https://127.0.0.1:53682/callback',
      'http://127.0.0.1/callback',
      'http://example.com:53682/callback',
      'http://127.0.0.1.example.com:53682/',
      'http://user:pw@127.0.0.1:53682/',
      'myapp://callback',
    ]) {
      const answer = await postJson(
        `${server.baseUrl}/api/desktop/authcode`,
        { code_challenge: challenge, code_challenge_method: 'S256', redirect_uri: redirectUri },
        apiToken,
      );
      assert.equal(answer.status, 400, redirectUri);
      assert.equal((answer.body.error as { code: string }).code, 'invalid_request', redirectUri);
    }
    assert.ok(await requestCode(server.baseUrl, apiToken, challenge, 'http://[::1]:53682/callback'));
  });

  it('refuses the plain challenge method', async () => {
    const { verifier } = pkcePair();
    const answer = await postJson(
      `${server.baseUrl}/api/desktop/authcode`,
      { code_challenge: verifier, code_challenge_method: 'plain', redirect_uri: REDIRECT_URI },
      apiToken,
    );
    assert.equal(answer.status, 400);
  });

  it('asks for an API token to hand out codes (a desktop token is not one)', async () => {
    const body = { code_challenge: pkcePair().challenge, code_challenge_method: 'S256', redirect_uri: REDIRECT_URI };
    assert.equal((await postJson(`${server.baseUrl}/api/desktop/authcode`, body)).status, 401);
    const desktop = await desktopToken(server.baseUrl, apiToken);
    assert.equal((await postJson(`${server.baseUrl}/api/desktop/authcode`, body, desktop)).status, 401);
  });
});

describe('desktop token redemption throttle', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ LOGIN_MAX_ATTEMPTS_PER_IP: '3' }, { channels: [desktopChannel] });
  });
  after(() => server.stop());

  it('answers 429 with Retry-After once an address exceeds its attempts', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let attempt = 0; attempt < 4; attempt += 1) {
      const response = await fetch(`${server.baseUrl}/api/desktop/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: 'guess', code_verifier: pkcePair().verifier, redirect_uri: REDIRECT_URI }),
      });
      statuses.push(response.status);
      retryAfter = response.headers.get('retry-after');
    }
    assert.deepEqual(statuses, [400, 400, 400, 429]);
    assert.ok(Number(retryAfter) > 0);
  });

  it('counts a whole IPv6 /64 as one address, like the login throttle', async () => {
    const statuses: number[] = [];
    // Four addresses of one /64 (the client IP is the X-Forwarded-For entry the trusted ALB appended).
    for (const host of ['a', 'b', 'c', 'd']) {
      const response = await fetch(`${server.baseUrl}/api/desktop/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `2001:db8:7:9::${host}` },
        body: JSON.stringify({ code: 'guess', code_verifier: pkcePair().verifier, redirect_uri: REDIRECT_URI }),
      });
      statuses.push(response.status);
    }
    assert.deepEqual(statuses, [400, 400, 400, 429]);
  });
});
