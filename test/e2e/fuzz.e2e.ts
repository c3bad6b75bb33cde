/**
 * Scenario 3b: property-based fuzzing (fast-check, bounded runs) of a real server process: HTTP paths, headers and
 * bodies, WebSocket messages and raw WebSocket frames. The property is the same everywhere: the answer is a success
 * or a clear 4xx in the JSON error shape (or a documented close code), never a 5xx, never silence, and the process
 * stays up with its memory back near the baseline.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { CloseCode } from '../../server/src/desktop/socket/close-codes.js';
import { createTestDatabase, type TestDatabase } from '../../server/test/support/database.js';
import { createUser, login } from '../../server/test/support/server.js';
import { DesktopTestClient, desktopToken } from '../../server/test/desktop/client.js';
import { replicaEnv } from './support/fleet.js';
import { request } from './support/load.js';
import { clientFrame, closeCodeOf, isJsonError, rawDesktopSocket, rawRequest } from './support/raw.js';
import { startReplica, type Diagnostics, type Replica } from './support/replica.js';

/** Runs per property; E2E_FUZZ_RUNS scales them (and E2E_FUZZ_SEED replays a failure fast-check reported). */
const RUNS = Number(process.env.E2E_FUZZ_RUNS ?? 250);
const SEED = process.env.E2E_FUZZ_SEED === undefined ? {} : { seed: Number(process.env.E2E_FUZZ_SEED) };
/** Close codes a hostile client may be given: the documented ones, minus "the server failed" and "no close frame". */
const NOT_FOR_CLIENT_INPUT: readonly number[] = [CloseCode.internalError, CloseCode.abnormal, CloseCode.noStatus];
const ALLOWED_CLOSES = new Set<number>(Object.values(CloseCode).filter((code) => !NOT_FOR_CLIENT_INPUT.includes(code)));

const segment = fc.oneof(
  fc.constantFrom(
    'api',
    'users',
    'me',
    'login',
    'desktop',
    'events',
    'token',
    'authcode',
    'health',
    'ready',
    'serving',
  ),
  fc.constantFrom('ws', 'metrics', '..', '.', '%zz', '%00', '%2e%2e', '%ff', '%C0%AF', '-1', '9'.repeat(30), '%', ''),
  fc.string({ unit: 'binary', maxLength: 12 }),
);
const noNewlines = (text: string) => text.replace(/[\r\n]/g, '');
const headerName = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9-]{1,24}$/),
  fc.constantFrom('Content-Length', 'Transfer-Encoding', 'Content-Type', 'Content-Encoding', 'Authorization'),
  fc.constantFrom('Host', 'Expect', 'X-Forwarded-For', 'Origin', 'Cookie', 'Accept-Encoding', 'Connection'),
);
const headerValue = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }).map(noNewlines),
  fc.constantFrom('-1', '1e3', 'chunked', 'gzip', 'Bearer x.y.z', 'application/json; charset=utf-7', '0x10', ''),
);

/** Whether the client's bytes hold a masked, final close frame with an empty payload (0x88 0x80). */
const sentStatuslessClose = (frames: readonly Buffer[]) => Buffer.concat(frames).includes(Buffer.from([0x88, 0x80]));

describe('scenario 3b: property-based fuzzing of HTTP and WebSocket input', { timeout: 300_000 }, () => {
  const scratch = mkdtempSync(join(tmpdir(), 'desktop-backend-e2e-fuzz-'));
  let db: TestDatabase | undefined;
  let server: Replica;
  let baseline: Diagnostics;
  let apiToken: string;
  let adminToken: string;

  before(async () => {
    db = await createTestDatabase();
    server = await startReplica(replicaEnv(db), scratch, 'fuzz');
    await createUser(db, { username: 'fuzzer', password: 'fuzzer-password-long' });
    await createUser(db, { username: 'fuzz-admin', password: 'fuzz-admin-password', role: 'admin' });
    apiToken = await login(server.baseUrl, 'fuzzer', 'fuzzer-password-long');
    adminToken = await login(server.baseUrl, 'fuzz-admin', 'fuzz-admin-password');
    baseline = await server.diagnostics();
  });

  after(async () => {
    await server.stop();
    await db?.drop();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** The property every raw HTTP answer must have. */
  const judge = (answer: Awaited<ReturnType<typeof rawRequest>>, method: string, what: string) => {
    assert.ok(answer.status > 0, `${what}: no answer`);
    assert.ok(answer.status < 500, `${what}: ${answer.status} ${answer.body}`);
    if (answer.status >= 400 && method !== 'HEAD')
      assert.ok(isJsonError(answer), `${what}: ${answer.status} ${answer.body}`);
  };

  it('HTTP paths and methods', async () => {
    const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'FOO');
    await fc.assert(
      fc.asyncProperty(method, fc.array(segment, { maxLength: 6 }), fc.boolean(), async (verb, parts, withToken) => {
        const path = noNewlines(`/${parts.join('/')}`);
        const auth = withToken ? `Authorization: Bearer ${apiToken}\r\n` : '';
        const head = `${verb} ${path} HTTP/1.1\r\nHost: fuzz\r\n${auth}Content-Length: 0\r\nConnection: close\r\n\r\n`;
        judge(await rawRequest(server.port, Buffer.from(head, 'utf8')), verb, `${verb} ${JSON.stringify(path)}`);
      }),
      { numRuns: RUNS, ...SEED },
    );
  });

  it('HTTP headers', async () => {
    const headers = fc.array(fc.tuple(headerName, headerValue), { maxLength: 6 });
    await fc.assert(
      fc.asyncProperty(headers, fc.boolean(), async (extra, toLogin) => {
        const body = toLogin ? '{"username":"nobody","password":"wrong"}' : '';
        const target = toLogin ? 'POST /api/login' : 'GET /api/me';
        const lines = [`Host: fuzz`, `Content-Type: application/json`, `Content-Length: ${body.length}`];
        const head = `${target} HTTP/1.1\r\n${[...lines, ...extra.map(([name, value]) => `${name}: ${value}`)].join('\r\n')}`;
        const bytes = Buffer.from(`${head}\r\nConnection: close\r\n\r\n${body}`, 'utf8');
        judge(await rawRequest(server.port, bytes), target.split(' ')[0]!, `${target} with ${JSON.stringify(extra)}`);
      }),
      { numRuns: RUNS, ...SEED },
    );
  });

  it('HTTP bodies', async () => {
    const targets = [
      ['/api/login', undefined],
      ['/api/desktop/events', 'api'],
      ['/api/desktop/token', undefined],
      ['/api/desktop/authcode', 'api'],
      ['/api/users', 'admin'],
    ] as const;
    const contentType = fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'text/plain',
      'application/x-www-form-urlencoded',
      undefined,
    );
    const body = fc.oneof(
      fc.json(),
      fc.jsonValue().map((value) => JSON.stringify({ topic: 'fuzz', data: value, username: value, code: value })),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...targets), contentType, body, async ([path, auth], type, payload) => {
        const headers: Record<string, string> = type ? { 'content-type': type } : {};
        if (auth) headers.authorization = `Bearer ${auth === 'api' ? apiToken : adminToken}`;
        const answer = await request(path, `${server.baseUrl}${path}`, { method: 'POST', headers, body: payload });
        const what = `${path} ${String(type)} ${JSON.stringify(String(payload)).slice(0, 200)}`;
        assert.ok(
          answer.status > 0 && answer.status < 500,
          `${what}: ${answer.status || answer.failure} ${answer.code ?? ''}`,
        );
        if (answer.status >= 400) assert.doesNotMatch(answer.code ?? '', /^\(/, `${what}: ${answer.code}`);
      }),
      { numRuns: RUNS, ...SEED },
    );
  });

  it('WebSocket messages', async (t) => {
    const token = await desktopToken(server.baseUrl, apiToken);
    let client = (await DesktopTestClient.connect(server.wsUrl, { token })).client;
    const closes: number[] = [];
    const message = fc.oneof(
      fc.jsonValue().map((value) => JSON.stringify(value)),
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc
        .record({
          type: fc.constantFrom('resume', 'ping', 'subscribe', '__proto__', 'constructor', ''),
          afterSeq: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null), fc.bigInt().map(String)),
        })
        .map((value) => JSON.stringify(value)),
      fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
    );
    try {
      await fc.assert(
        fc.asyncProperty(message, async (payload) => {
          if (client.ws.readyState !== 1) {
            closes.push((await client.closed).code);
            client = (await DesktopTestClient.connect(server.wsUrl, { token })).client;
          }
          client.ws.send(payload);
          await new Promise((resolve) => setTimeout(resolve, 5));
          for (const frame of client.pending()) {
            assert.ok(
              ['welcome', 'event', 'pong', 'error', 'resync_required'].includes(frame.type),
              JSON.stringify(frame),
            );
          }
        }),
        { numRuns: RUNS, ...SEED },
      );
    } finally {
      await client.close();
    }
    t.diagnostic(`closes while fuzzing messages: ${closes.join(', ') || 'none'}`);
    for (const code of closes) assert.ok(ALLOWED_CLOSES.has(code), `closed with ${code}`);
  });

  it('raw WebSocket frames', async () => {
    const token = await desktopToken(server.baseUrl, apiToken);
    const frame = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
      fc
        .tuple(fc.integer({ min: 0, max: 15 }), fc.uint8Array({ maxLength: 200 }), fc.boolean())
        .map(([opcode, payload, fin]) => clientFrame(opcode, Buffer.from(payload), fin)),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 4 }), async (frames) => {
        const socket = await rawDesktopSocket(server.port, token);
        try {
          const closed = closeCodeOf(socket, 300);
          for (const bytes of frames) socket.write(bytes);
          const code = await closed;
          // RFC 6455 5.5.1: a close frame without a status is answered with one without a status (read as 1005).
          const echoesStatuslessClose = code === CloseCode.noStatus && sentStatuslessClose(frames);
          if (typeof code === 'number' && !echoesStatuslessClose)
            assert.ok(ALLOWED_CLOSES.has(code), `closed with ${code}`);
        } finally {
          socket.destroy();
        }
      }),
      { numRuns: Math.ceil(RUNS / 3), ...SEED },
    );
  });

  it('stays up, and its memory returns near the baseline after garbage collection', async (t) => {
    assert.equal(server.exited(), undefined, server.output().slice(-2000));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const now = await server.diagnostics();
    const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
    t.diagnostic(
      `heap ${mb(baseline.heapUsed)} → ${mb(now.heapUsed)} MB, rss ${mb(baseline.rss)} → ${mb(now.rss)} MB, fds ${baseline.fds} → ${now.fds}`,
    );
    assert.ok(now.heapUsed < baseline.heapUsed + 16 * 2 ** 20, 'heap grew by more than 16 MB');
    assert.ok(now.rss < baseline.rss + 96 * 2 ** 20, 'rss grew by more than 96 MB');
    assert.ok(now.fds <= baseline.fds + 10, `file descriptors ${baseline.fds} → ${now.fds}`);
    assert.doesNotMatch(server.output(), /unhandled (promise )?rejection|uncaught/i);
  });
});
