/**
 * Post-deploy smoke test (RUNBOOK.md "Smoke test after a deploy"): `npm run smoke -- https://desktop.staging.example.com`
 * with SMOKE_USERNAME and SMOKE_PASSWORD naming a plain `user` account kept for this purpose.
 *
 * The reference runbook's checks, in order: /health and /ready 200; login returns a token; /api/me is 401 without it
 * and 200 with it; the desktop PKCE login returns a desktop token; /ws/desktop accepts it and says `welcome`; an event
 * posted for the smoke user arrives on that socket. Prints one line per check; exits 1 at the first failure.
 */
import { createHash, randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { serverContract } from '../../platform/server-contract.js';

const [baseArg] = process.argv.slice(2);
const username = process.env.SMOKE_USERNAME;
const password = process.env.SMOKE_PASSWORD;
if (!baseArg || !username || !password) {
  console.error(
    'usage: SMOKE_USERNAME=... SMOKE_PASSWORD=... npm run smoke -- <base-url such as https://desktop.example.com>',
  );
  process.exit(2);
}
const base = new URL(baseArg);

class SmokeFailure extends Error {}

async function call(method: string, path: string, options: { token?: string; body?: unknown } = {}) {
  const response = await fetch(new URL(path, base), {
    method,
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json: json as Record<string, unknown> | undefined, text };
}

async function check<T>(name: string, run: () => Promise<T>): Promise<T> {
  try {
    const result = await run();
    console.log(`ok   ${name}`);
    return result;
  } catch (error) {
    console.log(`FAIL ${name}: ${error instanceof Error ? error.message : String(error)}`);
    throw new SmokeFailure(name);
  }
}

function expectStatus(actual: { status: number; text: string }, expected: number): void {
  if (actual.status !== expected)
    throw new Error(`expected ${expected}, got ${actual.status} ${actual.text.slice(0, 200)}`);
}

function field(json: Record<string, unknown> | undefined, key: string): string {
  const value = json?.[key];
  if (typeof value !== 'string' || value === '') throw new Error(`response has no "${key}"`);
  return value;
}

/** Opens /ws/desktop with the desktop token, waits for `welcome`, then for the event `onWelcome` triggers. */
async function desktopSocket(token: string, onWelcome: () => Promise<void>, topic: string): Promise<void> {
  const url = new URL(serverContract.paths.desktopSocket, base);
  url.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = new WebSocket(url, ['desktop.v1'], { headers: { authorization: `Bearer ${token}` } });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error('no welcome and event within 10 s'));
      }, 10_000);
      let welcomed = false;
      socket.on('unexpected-response', (_request, response) => {
        reject(new Error(`upgrade refused with HTTP ${response.statusCode ?? '?'}`));
      });
      socket.on('error', reject);
      socket.on('close', (code) => {
        reject(new Error(`socket closed with ${code}`));
      });
      socket.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
        if (isBinary) return;
        const message = JSON.parse(Buffer.from(data as Buffer).toString('utf8')) as { type?: string; topic?: string };
        if (message.type === 'welcome' && !welcomed) {
          welcomed = true;
          onWelcome().catch(reject);
        } else if (message.type === 'event' && message.topic === topic) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } finally {
    socket.removeAllListeners('close');
    socket.close(1000);
  }
}

try {
  await check('GET /health is 200', async () => {
    expectStatus(await call('GET', serverContract.paths.liveness), 200);
  });
  await check('GET /ready is 200', async () => {
    expectStatus(await call('GET', serverContract.paths.dependencies), 200);
  });
  const apiToken = await check('POST /api/login returns a token', async () => {
    const login = await call('POST', '/api/login', { body: { username, password } });
    expectStatus(login, 200);
    return field(login.json, 'token');
  });
  await check('GET /api/me without a token is 401', async () => {
    expectStatus(await call('GET', '/api/me'), 401);
  });
  await check('GET /api/me with the token is 200', async () => {
    expectStatus(await call('GET', '/api/me', { token: apiToken }), 200);
  });
  const desktopToken = await check('desktop PKCE login returns a desktop token', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const redirectUri = 'http://127.0.0.1:53682/callback';
    const authcode = await call('POST', '/api/desktop/authcode', {
      token: apiToken,
      body: { code_challenge: challenge, code_challenge_method: 'S256', redirect_uri: redirectUri },
    });
    expectStatus(authcode, 200);
    const token = await call('POST', '/api/desktop/token', {
      body: { code: field(authcode.json, 'code'), code_verifier: verifier, redirect_uri: redirectUri },
    });
    expectStatus(token, 200);
    return field(token.json, 'access_token');
  });
  await check('/ws/desktop accepts the desktop token and delivers an event', async () => {
    const topic = `smoke.${Date.now()}`;
    await desktopSocket(
      desktopToken,
      async () => {
        expectStatus(
          await call('POST', '/api/desktop/events', { token: apiToken, body: { topic, data: { smoke: true } } }),
          201,
        );
      },
      topic,
    );
  });
  console.log(`smoke test passed against ${base.origin}`);
} catch (error) {
  if (!(error instanceof SmokeFailure)) throw error;
  process.exitCode = 1;
}
