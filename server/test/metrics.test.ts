/** Metrics on METRICS_PORT, checked by promtool (Debian package `prometheus`) on the real output. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createUser, login, startTestServer, type TestServer } from './support/server.js';

/** prom-client's default gauges that promtool's linter dislikes (a `_total` suffix on a gauge); nothing else is. */
const TOLERATED_LINT = /^nodejs_active_(handles|requests|resources)_total /;

function promtoolCheck(text: string): { status: number | null; lines: string[] } {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (result.error) {
    throw new Error(
      `promtool is needed for this test (${result.error.message}); install it: apt-get install -y --no-install-recommends prometheus`,
    );
  }
  return { status: result.status, lines: `${result.stdout}${result.stderr}`.split('\n').filter(Boolean) };
}

describe('metrics', () => {
  let server: TestServer;
  let text: string;

  before(async () => {
    server = await startTestServer();
    const admin = await createUser(server.db, {
      username: 'metrics-admin',
      password: 'metrics-password',
      role: 'admin',
    });
    const token = await login(server.baseUrl, 'metrics-admin', 'metrics-password');
    await fetch(`${server.baseUrl}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'metrics-admin', password: 'wrong-password' }),
    });
    await fetch(`${server.baseUrl}/api/users/${admin.id + 1000}/disable`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    await fetch(`${server.baseUrl}/wp-admin/setup.php`);
    // Express matches paths case-insensitively: these reach /api/me, and must not mint label values.
    for (const path of ['/API/me', '/Api/ME', '/api/me']) {
      await fetch(`${server.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
    }
    await fetch(`${server.baseUrl}/ready`);
    const response = await fetch(server.metricsUrl);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    text = await response.text();
  });
  after(() => server.stop());

  it('passes promtool check metrics (format errors fail; lint only on prom-client defaults)', () => {
    const { status, lines } = promtoolCheck(text);
    assert.ok(status === 0 || status === 3, `promtool exited ${String(status)}:\n${lines.join('\n')}`);
    const ours = lines.filter((line) => !TOLERATED_LINT.test(line));
    assert.deepEqual(ours, [], `promtool findings about our metrics:\n${ours.join('\n')}`);
  });

  it('promtool does fail on a malformed exposition (the check above can fail)', () => {
    assert.equal(promtoolCheck('# TYPE broken counter\nbroken{le="x" 1\n').status, 1);
  });

  it('labels request durations by route template, never by raw path', () => {
    assert.match(
      text,
      /http_request_duration_seconds_count\{method="POST",route="\/api\/users\/:id\/disable",status="404"\} 1/,
    );
    assert.match(text, /http_request_duration_seconds_count\{method="POST",route="\/api\/login",status="200"\} 1/);
    assert.match(text, /http_request_duration_seconds_count\{method="GET",route="\(unmatched\)",status="404"\} 1/);
    assert.doesNotMatch(text, /wp-admin|\/api\/users\/\d/);
  });

  it('takes the route label from the template, never from the spelling the client sent', () => {
    assert.match(text, /http_request_duration_seconds_count\{method="GET",route="\/api\/me",status="200"\} 3\n/);
    const routes = new Set([...text.matchAll(/route="([^"]*)"/g)].map((match) => match[1]));
    assert.deepEqual(
      [...routes].filter((route) => route !== '(unmatched)' && route !== route?.toLowerCase()),
      [],
      `label values spelled by clients: ${[...routes].join(', ')}`,
    );
  });

  it('counts login attempts by result', () => {
    assert.match(text, /auth_login_attempts_total\{result="success"\} 1\n/);
    assert.match(text, /auth_login_attempts_total\{result="invalid_credentials"\} 1\n/);
    assert.match(text, /auth_login_attempts_total\{result="throttled"\} 0\n/);
  });

  it('reports the DB pool and default process metrics', () => {
    assert.match(text, /db_pool_connections_max 10\n/);
    assert.match(text, /db_pool_connections_open [1-9]\d*\n/);
    assert.match(text, /db_pool_waiting_requests 0\n/);
    assert.match(text, /process_cpu_user_seconds_total /);
    assert.match(text, /nodejs_eventloop_lag_seconds /);
  });
});
