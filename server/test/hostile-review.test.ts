/**
 * What a hostile-client review of the running server found beyond issue 11's list, each against a real server process
 * on a real MariaDB over real sockets: every answer a documented 4xx in the JSON error shape, the welcome the first
 * frame on /ws/desktop, and the process still up at the end.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { errorCodeOf, rawRequest } from './support/raw-http.js';
import { createUser, login, spawnServer, type SpawnedServer } from './support/server.js';
import { desktopToken, eventually, metricValue, pkcePair, postJson } from './desktop/client.js';

/** A masked client text frame (RFC 6455 section 5.2), payload under 126 bytes. */
function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const key = randomBytes(4);
  const masked = payload.map((byte, index) => byte ^ key[index % 4]!);
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), key, masked]);
}

/** A masked client frame of any opcode and length (RFC 6455 section 5.2). */
function maskedFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const key = randomBytes(4);
  const masked = payload.map((byte, index) => byte ^ key[index % 4]!);
  const first = (fin ? 0x80 : 0) | opcode;
  if (payload.length < 126) return Buffer.concat([Buffer.from([first, 0x80 | payload.length]), key, masked]);
  const head = Buffer.from([first, 0x80 | 126, 0, 0]);
  head.writeUInt16BE(payload.length, 2);
  return Buffer.concat([head, key, masked]);
}

/** The server frames in `bytes` (after the 101 head), in order; server frames are unmasked. */
function rawServerFrames(bytes: Buffer): { opcode: number; payload: Buffer }[] {
  const frames: { opcode: number; payload: Buffer }[] = [];
  let offset = 0;
  while (offset + 2 <= bytes.length) {
    const opcode = bytes[offset]! & 0x0f;
    let length = bytes[offset + 1]! & 0x7f;
    let start = offset + 2;
    if (length === 126) {
      length = bytes.readUInt16BE(offset + 2);
      start += 2;
    } else if (length === 127) {
      length = Number(bytes.readBigUInt64BE(offset + 2));
      start += 8;
    }
    if (start + length > bytes.length) break;
    frames.push({ opcode, payload: bytes.subarray(start, start + length) });
    offset = start + length;
  }
  return frames;
}

/** Opcodes and close codes of the server frames in `bytes` (after the 101 head), in order. */
function serverFrames(bytes: Buffer): { opcode: number; closeCode?: number }[] {
  return rawServerFrames(bytes).map(({ opcode, payload }) =>
    opcode === 8 && payload.length >= 2 ? { opcode, closeCode: payload.readUInt16BE(0) } : { opcode },
  );
}

/** Opens /ws/desktop over raw TCP, writes `frames` once the 101 is in, and returns what arrived until the close. */
async function afterRawFrames(port: number, token: string, frames: Buffer) {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  socket.write(
    `GET /ws/desktop HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
      `Authorization: Bearer ${token}\r\n\r\n`,
  );
  const chunks: Buffer[] = [];
  let sent = false;
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    const received = Buffer.concat(chunks);
    const headEnd = received.indexOf('\r\n\r\n');
    if (!sent && headEnd >= 0) {
      sent = true;
      socket.write(frames);
    }
    // The server's close frame is what the test is after: no need to wait for its close timeout.
    if (serverFrames(received.subarray(headEnd + 4)).some((frame) => frame.opcode === 8)) socket.destroy();
  });
  const closed = once(socket, 'close');
  const timer = setTimeout(() => socket.destroy(), 5000);
  await closed;
  clearTimeout(timer);
  const received = Buffer.concat(chunks);
  return serverFrames(received.subarray(received.indexOf('\r\n\r\n') + 4));
}

/** Unmasked server text frames out of `bytes` (after the 101 head), in order. */
function serverTextFrames(bytes: Buffer): string[] {
  return rawServerFrames(bytes)
    .filter((frame) => frame.opcode === 1)
    .map((frame) => frame.payload.toString('utf8'));
}

/**
 * Upgrades with the given messages written in the same TCP write as the handshake (so the server reads them at
 * once, while it still looks up the welcome's lastSeq), and returns the text frames that arrive within `waitMs`.
 */
async function framesAfterEagerMessages(
  port: number,
  token: string,
  messages: string[],
  { waitMs = 1500, path = '/ws/desktop' } = {},
) {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  const handshake =
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
    `Authorization: Bearer ${token}\r\n\r\n`;
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.write(Buffer.concat([Buffer.from(handshake), ...messages.map(maskedTextFrame)]));
  await new Promise((resolve) => setTimeout(resolve, waitMs));
  socket.destroy();
  const received = Buffer.concat(chunks);
  const headEnd = received.indexOf('\r\n\r\n');
  assert.match(received.subarray(0, headEnd).toString(), /^HTTP\/1\.1 101 /);
  return serverTextFrames(received.subarray(headEnd + 4)).map((text) => JSON.parse(text) as { type: string });
}

describe('hostile review: what a hostile client found beyond the issue list', () => {
  let db: TestDatabase;
  let server: SpawnedServer;
  let apiToken: string;

  before(async () => {
    db = await createTestDatabase();
    await createUser(db, { username: 'carol', password: 'carol-password-1' });
    server = await spawnServer({ ...db.env, LOGIN_MAX_ATTEMPTS_PER_IP: '1000' }, 120_000);
    apiToken = await login(server.baseUrl, 'carol', 'carol-password-1');
  });
  after(async () => {
    if (server as SpawnedServer | undefined) {
      server.kill('SIGKILL');
      await server.exit;
    }
    await db.drop();
  });

  it('CONNECT (a proxy tunnel request) gets 405 in the JSON shape, not a silent close, on both ports', async () => {
    for (const port of [server.port, server.metricsPort]) {
      const answer = await rawRequest(port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
      assert.deepEqual([answer.status, errorCodeOf(answer)], [405, 'method_not_allowed'], `port ${port}`);
    }
  });

  it('OPTIONS on an API route is 404 in the JSON shape, not a text/plain list of methods', async () => {
    for (const path of ['/api/login', '/api/me', '/api/desktop/events']) {
      const answer = await rawRequest(server.port, `OPTIONS ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      assert.deepEqual([answer.status, errorCodeOf(answer)], [404, 'not_found'], path);
    }
  });

  it('the welcome is the first frame even when the client speaks before it (replies follow it, in order)', async () => {
    const token = await desktopToken(server.baseUrl, apiToken);
    const frames = await framesAfterEagerMessages(server.port, token, [
      '{"type":"ping"}',
      'not json',
      '{"type":"resume","afterSeq":0}',
    ]);
    assert.deepEqual(
      frames.map((frame) => (frame.type === 'error' ? `error:${(frame as { code?: string }).code}` : frame.type)),
      ['welcome', 'pong', 'error:malformed_json', 'error:not_ready'],
    );
  });

  it('event data keeps a __proto__ key: stored and delivered as sent, no prototype made of it', async () => {
    const data = '{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},"kept":1}';
    const posted = await fetch(`${server.baseUrl}/api/desktop/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
      body: `{"topic":"proto.keys","data":${data}}`,
    });
    assert.equal(posted.status, 201);
    const { seq } = (await posted.json()) as { seq: number };
    const token = await desktopToken(server.baseUrl, apiToken);
    const frames = await framesAfterEagerMessages(server.port, token, [], { path: `/ws/desktop?afterSeq=${seq - 1}` });
    const event = frames.find((frame) => frame.type === 'event') as { data?: object } | undefined;
    assert.ok(event?.data, JSON.stringify(frames));
    assert.deepEqual(Object.keys(event.data), ['__proto__', 'constructor', 'kept']);
    assert.equal(Object.getPrototypeOf(event.data), Object.prototype);
  });

  it('two afterSeq parameters are an ambiguous resume point: 400 bad_request, no socket', async () => {
    const token = await desktopToken(server.baseUrl, apiToken);
    const answer = await rawRequest(
      server.port,
      `GET /ws/desktop?afterSeq=0&afterSeq=5 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
        `Authorization: Bearer ${token}\r\n\r\n`,
    );
    assert.deepEqual([answer.status, errorCodeOf(answer)], [400, 'bad_request']);
  });

  it('a WebSocket handshake without Host is 400 bad_handshake, even with a valid token', async () => {
    const token = await desktopToken(server.baseUrl, apiToken);
    const answer = await rawRequest(
      server.port,
      `GET /ws/desktop HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
        `Authorization: Bearer ${token}\r\n\r\n`,
    );
    assert.deepEqual([answer.status, errorCodeOf(answer)], [400, 'bad_handshake']);
  });

  it('a token in the URL is refused in any letter case (ACCESS_TOKEN, Token)', async () => {
    const token = await desktopToken(server.baseUrl, apiToken);
    for (const name of ['ACCESS_TOKEN', 'Token']) {
      const answer = await rawRequest(
        server.port,
        `GET /ws/desktop?${name}=${token} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
      assert.deepEqual([answer.status, errorCodeOf(answer)], [401, 'token_in_query'], name);
    }
  });

  it('a loopback redirect_uri on port 0 (nothing can listen there) is 400 invalid_request', async () => {
    const answer = await postJson(
      `${server.baseUrl}/api/desktop/authcode`,
      { code_challenge: pkcePair().challenge, code_challenge_method: 'S256', redirect_uri: 'http://127.0.0.1:0/cb' },
      apiToken,
    );
    assert.deepEqual(
      [answer.status, (answer.body.error as { code?: string } | undefined)?.code],
      [400, 'invalid_request'],
    );
  });

  it('a request target no URL parser accepts is 400 invalid_path in the JSON shape, as a request and as an upgrade', async () => {
    // Express ran no middleware for these (its text/html 404), and the upgrade handler's URL parse threw (a 500).
    for (const target of ['http://[::1', 'http://[']) {
      const answer = await rawRequest(server.port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      assert.deepEqual([answer.status, errorCodeOf(answer)], [400, 'invalid_path'], target);
      assert.match(answer.headers['content-type'] ?? '', /^application\/json/, target);
    }
    const token = await desktopToken(server.baseUrl, apiToken);
    for (const target of ['http://[::1', 'http://%zz/ws/desktop', 'http://a:99999/ws/desktop']) {
      const answer = await rawRequest(
        server.port,
        `GET ${target} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
          `Authorization: Bearer ${token}\r\n\r\n`,
      );
      assert.deepEqual([answer.status, errorCodeOf(answer)], [400, 'invalid_path'], target);
    }
    assert.doesNotMatch(server.output(), /upgrade handler failed/);
  });

  it('a flood of WebSocket pings counts against the message rate: pongs, then a 1008 close frame (not a cut)', async () => {
    // ws's own answer terminated the socket after 60 unanswered pings: a 1006 with no word of why.
    const token = await desktopToken(server.baseUrl, apiToken);
    const ping = maskedFrame(0x9, Buffer.from('x'));
    const frames = await afterRawFrames(server.port, token, Buffer.concat(Array.from({ length: 150 }, () => ping)));
    assert.equal(frames.filter((frame) => frame.opcode === 0xa).length, 100);
    assert.deepEqual(frames.at(-1), { opcode: 8, closeCode: 1008 });
  });

  it('a message in more than 16384 fragments is closed with 1008 and counted as 1008', async () => {
    const token = await desktopToken(server.baseUrl, apiToken);
    const sample = 'desktop_ws_closes_total{code="1008"}';
    const before = await metricValue(server.metricsUrl, sample);
    const parts = [maskedFrame(0x1, Buffer.from('['), false)];
    for (let part = 0; part < 16_400; part += 1) parts.push(maskedFrame(0x0, Buffer.from(' '), false));
    const frames = await afterRawFrames(server.port, token, Buffer.concat(parts));
    assert.deepEqual(frames.at(-1), { opcode: 8, closeCode: 1008 });
    await eventually(async () => (await metricValue(server.metricsUrl, sample)) === before + 1, 'the close counted');
  });

  it("answers a client's close with a documented code: its own when documented, else 1000 (never an echo of 4000)", async () => {
    const token = await desktopToken(server.baseUrl, apiToken);
    for (const [sent, answered] of [
      [1000, 1000],
      [1001, 1001],
      [1003, 1000],
      [1012, 1000],
      [3000, 1000],
      [4000, 1000],
      [4999, 1000],
    ]) {
      const payload = Buffer.alloc(2);
      payload.writeUInt16BE(sent!);
      const frames = await afterRawFrames(server.port, token, maskedFrame(0x8, payload));
      assert.deepEqual(frames.at(-1), { opcode: 8, closeCode: answered }, `client closed with ${sent}`);
    }
  });

  it('the process is still up, with nothing unhandled in its output', async () => {
    assert.equal((await fetch(`${server.baseUrl}/health`)).status, 200);
    assert.doesNotMatch(server.output(), /unhandled|uncaught/i);
  });
});
