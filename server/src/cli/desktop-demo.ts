/**
 * `npm run desktop:demo`: a small desktop client against `npm run dev`. It logs in, does the RFC 8252 + PKCE login
 * (the code arrives on a loopback listener, as it would from the browser), connects to /ws/desktop, posts a few
 * events, disconnects, lets two more be posted while away, then reconnects with `afterSeq` and prints what it missed.
 * `--follow` keeps printing live events until Ctrl-C.
 *
 * Settings: DESKTOP_DEMO_URL (http://127.0.0.1:4000), DESKTOP_DEMO_USER (admin), DESKTOP_DEMO_PASSWORD (else the
 * dev admin password kept in .dev/admin-password).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { serverContract } from '../../../platform/server-contract.js';
import { s256Challenge } from '../desktop/login/pkce.js';

interface Frame {
  type: string;
  seq?: number;
  [key: string]: unknown;
}

const baseUrl = process.env.DESKTOP_DEMO_URL ?? `http://127.0.0.1:${serverContract.httpPort}`;
const username = process.env.DESKTOP_DEMO_USER ?? 'admin';
const follow = process.argv.includes('--follow');

function password(): string {
  if (process.env.DESKTOP_DEMO_PASSWORD) return process.env.DESKTOP_DEMO_PASSWORD;
  const devFile = resolve(dirname(fileURLToPath(import.meta.url)), '../../../.dev/admin-password');
  return readFileSync(devFile, 'utf8').trim();
}

async function post(path: string, body: unknown, token?: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

/** RFC 8252 section 7.3: listen on a loopback port and take the code from the redirect. */
async function receiveCodeOnLoopback(requestCode: (redirectUri: string) => Promise<void>): Promise<string> {
  const listener = createServer();
  const code = new Promise<string>((resolveCode) => {
    listener.on('request', (req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      res.end('Signed in; you can close this window.');
      const value = url.searchParams.get('code');
      if (value) resolveCode(value);
    });
  });
  await new Promise<void>((ready) => listener.listen(0, '127.0.0.1', ready));
  const { port } = listener.address() as { port: number };
  await requestCode(`http://127.0.0.1:${port}/callback`);
  try {
    return await code;
  } finally {
    listener.close();
  }
}

async function desktopLogin(apiToken: string): Promise<string> {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = s256Challenge(verifier);
  let redirectUri = '';
  const code = await receiveCodeOnLoopback(async (uri) => {
    redirectUri = uri;
    const answer = await post(
      '/api/desktop/authcode',
      { code_challenge: challenge, code_challenge_method: 'S256', redirect_uri: uri },
      apiToken,
    );
    // What the browser does after the user approves: follow the redirect to the desktop's loopback listener.
    await fetch(`${uri}?code=${encodeURIComponent(answer.code as string)}`);
  });
  const token = await post('/api/desktop/token', { code, code_verifier: verifier, redirect_uri: redirectUri });
  console.log(`desktop token issued (expires in ${String(token.expires_in)} s)`);
  return token.access_token as string;
}

/** Connects, prints frames, and returns the socket with the last seq it saw. */
async function connect(token: string, afterSeq: number | undefined, onEvent: (frame: Frame) => void) {
  const wsUrl = `${baseUrl.replace(/^http/, 'ws')}${serverContract.paths.desktopSocket}`;
  const ws = new WebSocket(afterSeq === undefined ? wsUrl : `${wsUrl}?afterSeq=${afterSeq}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  ws.on('message', (data: Buffer) => {
    const frame = JSON.parse(data.toString('utf8')) as Frame;
    console.log(`  <- ${JSON.stringify(frame)}`);
    onEvent(frame);
  });
  ws.on('close', (code, reason) => {
    console.log(`  socket closed: ${code} ${reason.toString('utf8')}`);
  });
  await new Promise<void>((opened, failed) => {
    ws.once('open', opened);
    ws.once('unexpected-response', (_req, res) => {
      failed(new Error(`upgrade refused: ${String(res.statusCode)}`));
    });
    ws.once('error', failed);
  });
  return ws;
}

async function main(): Promise<void> {
  console.log(`logging in to ${baseUrl} as ${username}`);
  const apiToken = (await post('/api/login', { username, password: password() })).token as string;
  const token = await desktopLogin(apiToken);

  let ws: WebSocket | undefined;
  let lastSeq = 0;
  // Live-only at first (no afterSeq), so the welcome's lastSeq is where this client starts; later only events count.
  let startingFromWelcome = true;
  const seen = (frame: Frame) => {
    if (frame.type === 'welcome' && startingFromWelcome && typeof frame.lastSeq === 'number') lastSeq = frame.lastSeq;
    if (frame.type === 'event' && typeof frame.seq === 'number') lastSeq = frame.seq;
  };
  const waitFor = async (seq: number) => {
    const deadline = Date.now() + 10_000;
    while (lastSeq < seq) {
      if (ws?.readyState === WebSocket.CLOSED || Date.now() > deadline) {
        throw new Error(`event ${seq} did not arrive (last seen ${lastSeq})`);
      }
      await new Promise((resolveWait) => setTimeout(resolveWait, 20));
    }
  };

  console.log('connecting (live from now on)');
  ws = await connect(token, undefined, seen);
  let seq = 0;
  for (const text of ['hello', 'from', 'the demo']) {
    seq = (await post('/api/desktop/events', { topic: 'demo.note', data: { text } }, apiToken)).seq as number;
  }
  await waitFor(seq);
  ws.close(1000);
  startingFromWelcome = false;
  const resumeFrom = lastSeq;
  console.log(`disconnected at seq ${resumeFrom}; posting two events while away`);
  for (const text of ['missed one', 'missed two']) {
    seq = (await post('/api/desktop/events', { topic: 'demo.note', data: { text } }, apiToken)).seq as number;
  }
  console.log(`reconnecting with afterSeq=${resumeFrom}`);
  ws = await connect(token, resumeFrom, seen);
  await waitFor(seq);
  if (follow) {
    console.log('following live events (post with POST /api/desktop/events); Ctrl-C to stop');
    return;
  }
  ws.close(1000);
  console.log('done: every event once, in order, none lost across the reconnect');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
