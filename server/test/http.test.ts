/** The HTTP surface shared by every route: errors, security headers, CORS, request ids, logs, upgrades, channels. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { Router } from 'express';
import { WebSocket, WebSocketServer } from 'ws';
import { serverContract } from '../../platform/server-contract.js';
import type { ChannelFactory } from '../src/channels.js';
import { createLogger } from '../src/log/index.js';
import { createUser, login, startTestServer, type TestServer } from './support/server.js';

function captureLogs() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  return { lines, logger: createLogger({ level: 'info', destination }) };
}

/** A real channel: an Express router and a `ws` endpoint, recording what the lifecycle asks of it. */
function testChannel(events: string[]): ChannelFactory {
  return (deps) => {
    const sockets = new WebSocketServer({ noServer: true });
    const router = Router();
    router.get('/test-channel/items/:id', (req, res) => {
      res.json({ id: req.params.id });
    });
    router.post('/test-channel/fail', (req) => {
      // An unexpected failure whose error object carries what the client sent (as library errors sometimes do).
      throw Object.assign(new Error('downstream refused'), {
        body: req.body as unknown,
        password: 'error-prop-secret',
      });
    });
    return {
      name: 'test',
      router,
      handleUpgrade(req, socket, head) {
        if (req.url !== '/ws/test') return false;
        sockets.handleUpgrade(req, socket, head, (client) => {
          client.send('hello');
        });
        return true;
      },
      drain() {
        events.push(`drain draining=${String(deps.lifecycle.isDraining())}`);
        for (const client of sockets.clients) client.close(1001, 'shutting down');
        return Promise.resolve();
      },
      async close() {
        // The pool must still work here: channels stop their pollers before it closes.
        await deps.pool.execute('SELECT 1');
        events.push('close pool-open');
      },
    };
  };
}

describe('HTTP core', () => {
  let server: TestServer;
  const logs = captureLogs();
  const channelEvents: string[] = [];

  before(async () => {
    server = await startTestServer({}, { channels: [testChannel(channelEvents)], logger: logs.logger });
    await createUser(server.db, { username: 'logger', password: 'logger-password-1' });
  });
  after(() => server.stop());

  it('answers unknown routes with a JSON 404', async () => {
    const response = await fetch(`${server.baseUrl}/no/such/route`);
    assert.equal(response.status, 404);
    assert.deepEqual(await response.json(), {
      error: { code: 'not_found', message: 'No route for GET /no/such/route' },
    });
  });

  it('answers malformed JSON with 400', async () => {
    const response = await fetch(`${server.baseUrl}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"username": "x",',
    });
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'invalid_json');
  });

  it('answers a body over the limit with 413', async () => {
    const response = await fetch(`${server.baseUrl}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'x', password: 'y'.repeat(200 * 1024) }),
    });
    assert.equal(response.status, 413);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'payload_too_large');
  });

  it('sets Helmet security headers', async () => {
    const response = await fetch(`${server.baseUrl}/health`);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.ok(response.headers.get('content-security-policy'));
    assert.equal(response.headers.get('x-powered-by'), null);
  });

  it('keeps a sane X-Request-Id and replaces an unsafe one', async () => {
    const kept = await fetch(`${server.baseUrl}/health`, { headers: { 'x-request-id': 'trace-abc.123' } });
    assert.equal(kept.headers.get('x-request-id'), 'trace-abc.123');
    const replaced = await fetch(`${server.baseUrl}/health`, { headers: { 'x-request-id': 'not <sane> id' } });
    assert.match(replaced.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });

  it('logs requests as JSON with their id and without passwords or tokens', async () => {
    const token = await login(server.baseUrl, 'logger', 'logger-password-1');
    await fetch(`${server.baseUrl}/api/me`, {
      headers: { authorization: `Bearer ${token}`, 'x-request-id': 'logged-request-1' },
    });
    const text = logs.lines.join('\n');
    assert.ok(!text.includes('logger-password-1'), 'password in logs');
    assert.ok(!text.includes(token), 'token in logs');
    const line = logs.lines
      .map((entry) => JSON.parse(entry) as { req?: { id?: string; url?: string }; res?: { statusCode?: number } })
      .find((entry) => entry.req?.id === 'logged-request-1');
    assert.deepEqual([line?.req?.url, line?.res?.statusCode], ['/api/me', 200]);
  });

  it('keeps credentials out of the logs: request bodies, error objects and query strings', async () => {
    const send = (path: string, body: string) =>
      fetch(`${server.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const failed = await send('/api/test-channel/fail', JSON.stringify({ password: 'body-secret-1' }));
    assert.equal(failed.status, 500);
    assert.deepEqual(await failed.json(), { error: { code: 'internal_error', message: 'Internal server error' } });
    assert.equal((await send('/api/login', '{"username":"logger","password":"malformed-secret-2"')).status, 400);
    const probe = await fetch(`${server.baseUrl}/api/nowhere?access_token=query-secret-3&page=2`);
    assert.equal(probe.status, 404);

    const text = logs.lines.join('\n');
    for (const secret of ['body-secret-1', 'error-prop-secret', 'malformed-secret-2', 'query-secret-3']) {
      assert.ok(!text.includes(secret), `${secret} in logs`);
    }
    // ... while the logs still say what happened.
    assert.match(text, /downstream refused/);
    assert.match(text, /"url":"\/api\/nowhere\?access_token=%5Bredacted%5D&page=2"/);
  });

  it('answers requests Node cannot parse with the JSON error shape', async () => {
    const raw = async (bytes: string) => {
      const socket = connect(Number(new URL(server.baseUrl).port), '127.0.0.1');
      socket.end(bytes);
      let text = '';
      for await (const chunk of socket) text += (chunk as Buffer).toString();
      const [head = '', body = ''] = text.split('\r\n\r\n');
      return { status: Number(head.split(' ')[1]), body: JSON.parse(body) as unknown };
    };
    assert.deepEqual(await raw('NOT HTTP AT ALL\r\n\r\n'), {
      status: 400,
      body: { error: { code: 'bad_request', message: 'The request is not valid HTTP' } },
    });
    const huge = await raw(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.equal(huge.status, 431);
    assert.equal((huge.body as { error: { code: string } }).error.code, 'headers_too_large');
  });

  it('keeps idle connections open longer than the load balancer does', () => {
    const { httpServer } = server.backend;
    assert.equal(httpServer.keepAliveTimeout, serverContract.keepAliveTimeoutMs);
    assert.ok(httpServer.keepAliveTimeout > serverContract.loadBalancerIdleTimeoutSeconds * 1000);
    assert.ok(httpServer.headersTimeout > httpServer.keepAliveTimeout);
  });

  it('does not serve /metrics on the API port; the metrics port answers other requests in the JSON error shape', async () => {
    assert.equal((await fetch(`${server.baseUrl}/metrics`)).status, 404);
    const other = await fetch(server.metricsUrl.replace('/metrics', '/other'));
    assert.equal(other.status, 404);
    assert.equal(((await other.json()) as { error: { code: string } }).error.code, 'not_found');
    const post = await fetch(server.metricsUrl, { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    assert.deepEqual(await post.json(), {
      error: { code: 'method_not_allowed', message: 'Only GET /metrics is served here' },
    });
  });

  it('mounts channel routers under /api', async () => {
    const response = await fetch(`${server.baseUrl}/api/test-channel/items/42`);
    assert.deepEqual(await response.json(), { id: '42' });
  });

  it('hands upgrades to the channel that claims them and answers 404 to the rest', async () => {
    const claimed = new WebSocket(`${server.wsUrl}/ws/test`);
    const [greeting] = (await once(claimed, 'message')) as [Buffer];
    assert.equal(greeting.toString(), 'hello');
    claimed.close();

    const refused = new WebSocket(`${server.wsUrl}/ws/unknown`);
    const status = await new Promise<number | undefined>((resolve) => {
      refused.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode);
      });
      refused.once('open', () => {
        resolve(undefined);
      });
    });
    refused.on('error', () => undefined);
    refused.terminate();
    assert.equal(status, 404);
  });
});

describe('HTTP core with other settings', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ USE_HELMET: 'false', CORS_ORIGINS: 'https://app.example.com' });
  });
  after(() => server.stop());

  it('sends no Helmet headers when USE_HELMET=false', async () => {
    const response = await fetch(`${server.baseUrl}/health`);
    assert.equal(response.headers.get('x-content-type-options'), null);
  });

  it('allows the origins in CORS_ORIGINS and no others', async () => {
    const preflight = (origin: string) =>
      fetch(`${server.baseUrl}/api/login`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
    const allowed = await preflight('https://app.example.com');
    assert.equal(allowed.status, 204);
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://app.example.com');
    const other = await preflight('https://evil.example.com');
    assert.equal(other.headers.get('access-control-allow-origin'), null);
  });

  it('answers an unexpected failure with a 500 that reveals no internals', async () => {
    await server.db.pool.query('RENAME TABLE users TO users_gone');
    const response = await fetch(`${server.baseUrl}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'someone', password: 'some-password' }),
    });
    assert.equal(response.status, 500);
    assert.deepEqual(await response.json(), { error: { code: 'internal_error', message: 'Internal server error' } });
  });
});

describe('channel lifecycle', () => {
  it('drains channels after readiness flips and closes them while the pool still works', async () => {
    const events: string[] = [];
    const server = await startTestServer({}, { channels: [testChannel(events)] });
    const client = new WebSocket(`${server.wsUrl}/ws/test`);
    await new Promise((resolve) => client.once('message', resolve));
    const closed = new Promise<number>((resolve) => client.once('close', resolve));
    await server.stop();
    assert.equal(await closed, 1001);
    assert.deepEqual(events, ['drain draining=true', 'close pool-open']);
  });
});
