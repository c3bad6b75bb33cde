/** The post-deploy smoke checks 1-5 of RUNBOOK.md ("Smoke test after a deploy"), on a real server and database. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createUser, login, startTestServer, type TestServer } from './support/server.js';

describe('runbook smoke tests 1-5', () => {
  let server: TestServer;
  let token: string;

  before(async () => {
    server = await startTestServer();
    await createUser(server.db, { username: 'smoke', password: 'smoke-password-1', role: 'user' });
  });
  after(() => server.stop());

  it('1. GET /health answers 200', async () => {
    const response = await fetch(`${server.baseUrl}/health`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok' });
  });

  it('2. GET /ready answers 200 while the database answers', async () => {
    const response = await fetch(`${server.baseUrl}/ready`);
    assert.equal(response.status, 200);
  });

  it('3. POST /api/login with valid credentials returns a token', async () => {
    token = await login(server.baseUrl, 'smoke', 'smoke-password-1');
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('4. a protected endpoint without a token answers 401', async () => {
    const response = await fetch(`${server.baseUrl}/api/me`);
    assert.equal(response.status, 401);
    const body = (await response.json()) as { error: { code: string } };
    assert.equal(body.error.code, 'unauthorized');
  });

  it('5. a protected endpoint with the token answers 200 with the caller', async () => {
    const response = await fetch(`${server.baseUrl}/api/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { user: { username: string; role: string } };
    assert.equal(body.user.username, 'smoke');
    assert.equal(body.user.role, 'user');
  });
});
