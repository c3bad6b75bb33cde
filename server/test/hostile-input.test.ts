/**
 * The hostile-input corpus (issue 11, defects 2, 3, 5, 7): every case against a real server process on a real
 * MariaDB. Each answer must be a 4xx in the JSON error shape, and the process must still be up at the end.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { errorCodeOf, rawRequest } from './support/raw-http.js';
import { createUser, login, spawnServer, type SpawnedServer } from './support/server.js';

interface Answer {
  status: number;
  code: string;
  headers: Headers;
}

async function send(url: string, init: RequestInit): Promise<Answer> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return { status: response.status, code: errorCodeOf({ headers, body: text }), headers: response.headers };
}

const deepJson = (levels: number) => `{"topic":"deep","data":${'['.repeat(levels)}${']'.repeat(levels)}}`;

describe('hostile input corpus', () => {
  let db: TestDatabase;
  let server: SpawnedServer;
  let token: string;

  before(async () => {
    db = await createTestDatabase();
    await createUser(db, { username: 'victim', password: 'victim-password-1' });
    await createUser(db, { username: 'bystander', password: 'bystander-password-1' });
    server = await spawnServer({ ...db.env, LOGIN_MAX_ATTEMPTS_PER_IP: '1000', DESKTOP_MAX_EVENTS_PER_MINUTE: '5' });
    token = await login(server.baseUrl, 'victim', 'victim-password-1');
  });
  after(async () => {
    if (server as SpawnedServer | undefined) {
      server.kill('SIGKILL');
      await server.exit;
    }
    await db.drop();
  });

  const loginWith = (body: string | Buffer) =>
    send(`${server.baseUrl}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });

  for (const [name, username] of [
    ['Cyrillic', 'виктор'],
    ['full-width', 'ｖｉｃｔｉｍ'],
    ['zero-width joiner inside', 'vic\u200dtim'],
    ['accented', 'víctim'],
    ['emoji', 'victim😀'],
    ['lone surrogate', 'victim\ud800'],
    ['NUL', 'victim\u0000'],
  ] as const) {
    it(`login with a ${name} username: 401 invalid_credentials, not 500`, async () => {
      const answer = await loginWith(JSON.stringify({ username, password: 'victim-password-1' }));
      assert.deepEqual([answer.status, answer.code], [401, 'invalid_credentials']);
    });
  }

  it('login with a username of invalid UTF-8 bytes: 401 invalid_credentials', async () => {
    const body = Buffer.concat([
      Buffer.from('{"username":"vic'),
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from('tim","password":"victim-password-1"}'),
    ]);
    const answer = await loginWith(body);
    assert.deepEqual([answer.status, answer.code], [401, 'invalid_credentials']);
  });

  it('a malformed percent-encoding in a route parameter is 400, with or without a token', async () => {
    for (const headers of [{}, { authorization: `Bearer ${token}` }]) {
      for (const path of ['/api/users/%zz/disable', '/api/users/%E0%A4%A/enable', '/api/users/%/disable']) {
        const answer = await send(`${server.baseUrl}${path}`, { method: 'POST', headers });
        assert.deepEqual([answer.status, answer.code], [400, 'invalid_path'], path);
      }
    }
  });

  const event = JSON.stringify({ topic: 'zip', data: { ok: true } });
  for (const [name, encoding, body] of [
    ['corrupt gzip', 'gzip', Buffer.from('this is not gzip at all')],
    ['truncated gzip', 'gzip', gzipSync(event).subarray(0, 20)],
    ['corrupt deflate', 'deflate', Buffer.from([0x78, 0x9c, 0xff, 0xff, 0x00, 0x01])],
    ['truncated deflate', 'deflate', deflateSync(event).subarray(0, 8)],
  ] as const) {
    it(`a ${name} body is 400`, async () => {
      const answer = await send(`${server.baseUrl}/api/desktop/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-encoding': encoding },
        body,
      });
      assert.deepEqual([answer.status, answer.code], [400, 'invalid_body_encoding']);
    });
  }

  it('a valid gzip body is still accepted (the guard is not a blanket refusal)', async () => {
    const response = await fetch(`${server.baseUrl}/api/desktop/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(event),
    });
    assert.equal(response.status, 201);
  });

  for (const levels of [65, 5_000, 40_000]) {
    it(`event data nested ${levels} levels deep is 400 too_deep, before and after authentication`, async () => {
      for (const headers of [{}, { authorization: `Bearer ${token}` }]) {
        const answer = await send(`${server.baseUrl}/api/desktop/events`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: deepJson(levels),
        });
        assert.deepEqual([answer.status, answer.code], [400, 'too_deep']);
      }
    });
  }

  it('event data nested 60 levels deep is still stored', async () => {
    const response = await fetch(`${server.baseUrl}/api/desktop/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: deepJson(60),
    });
    assert.equal(response.status, 201);
  });

  it('an HTTP/1.1 request without Host is 400 in the JSON shape', async () => {
    const answer = await rawRequest(server.port, 'GET /health HTTP/1.1\r\nConnection: close\r\n\r\n');
    assert.deepEqual([answer.status, errorCodeOf(answer)], [400, 'missing_host']);
  });

  it('an unknown Expect is 417 in the JSON shape', async () => {
    const answer = await rawRequest(
      server.port,
      'POST /api/login HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: 2\r\n\r\n',
    );
    assert.deepEqual([answer.status, errorCodeOf(answer)], [417, 'expectation_failed']);
  });

  for (const [name, request] of [
    ['garbage', 'GARBAGE\r\n\r\n'],
    ['a bad request line', 'GET /metrics HTTP/9.9 extra\r\n\r\n'],
    ['a header without a colon', 'GET /metrics HTTP/1.1\r\nHost: x\r\nbroken header\r\n\r\n'],
  ] as const) {
    it(`the metrics port answers ${name} with 400 in the JSON shape`, async () => {
      const answer = await rawRequest(server.metricsPort, request);
      assert.deepEqual([answer.status, errorCodeOf(answer)], [400, 'bad_request']);
    });
  }

  it('the metrics port answers no Host and an unknown Expect in the JSON shape too', async () => {
    const noHost = await rawRequest(server.metricsPort, 'GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n');
    assert.equal(noHost.status, 200);
    const expect = await rawRequest(server.metricsPort, 'GET /metrics HTTP/1.1\r\nHost: x\r\nExpect: nope\r\n\r\n');
    assert.deepEqual([expect.status, errorCodeOf(expect)], [417, 'expectation_failed']);
  });

  it('a declared Content-Length of 1 TB is refused with 413 before any body is sent', async () => {
    const answer = await rawRequest(
      server.port,
      `POST /api/desktop/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 1000000000000\r\n\r\n',
    );
    assert.deepEqual([answer.status, errorCodeOf(answer)], [413, 'payload_too_large']);
  });

  it('Expect: 100-continue with a 1 TB Content-Length gets 413 and no 100 Continue; a small one still continues', async () => {
    const ask = (length: number, body = '') =>
      rawRequest(
        server.port,
        `POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n` +
          `Content-Length: ${length}\r\nConnection: close\r\n\r\n${body}`,
      );
    const refused = await ask(1_000_000_000_000);
    assert.deepEqual([refused.status, errorCodeOf(refused)], [413, 'payload_too_large']);
    assert.doesNotMatch(refused.raw, /100 Continue/);
    const login = JSON.stringify({ username: 'victim', password: 'victim-password-1' });
    const accepted = await ask(Buffer.byteLength(login), login);
    assert.equal(accepted.status, 200, accepted.raw);
  });

  for (const charset of ['utf-7', 'UTF-16', 'utf-16le', 'utf-16be', 'utf-32', 'iso-8859-1', '"utf-16"']) {
    it(`a JSON body declared as charset=${charset} is 415`, async () => {
      const answer = await send(`${server.baseUrl}/api/login`, {
        method: 'POST',
        headers: { 'content-type': `application/json; charset=${charset}` },
        body: Buffer.from(JSON.stringify({ username: 'victim', password: 'victim-password-1' }), 'utf16le'),
      });
      assert.deepEqual([answer.status, answer.code], [415, 'unsupported_charset']);
    });
  }

  it('a JSON body declared as charset=UTF-8 is accepted', async () => {
    const response = await fetch(`${server.baseUrl}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=UTF-8' },
      body: JSON.stringify({ username: 'victim', password: 'victim-password-1' }),
    });
    assert.equal(response.status, 200);
  });

  it('a user posting events past DESKTOP_MAX_EVENTS_PER_MINUTE gets 429 with Retry-After; others do not', async () => {
    const post = (bearer: string) =>
      fetch(`${server.baseUrl}/api/desktop/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: JSON.stringify({ topic: 'flood', data: { n: 1 } }),
      });
    let refused: Response | undefined;
    let stored = 0;
    for (let attempt = 0; attempt < 12 && !refused; attempt += 1) {
      const response = await post(token);
      if (response.status === 429) refused = response;
      else {
        assert.equal(response.status, 201);
        stored += 1;
      }
    }
    assert.ok(refused, 'no 429 after 12 events with a limit of 5 a minute');
    assert.ok(stored <= 5, `${stored} events stored within one minute`);
    assert.match(refused.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'too_many_requests');
    const other = await login(server.baseUrl, 'bystander', 'bystander-password-1');
    assert.equal((await post(other)).status, 201);
  });

  /** A 4xx/2xx answer, and every error in the JSON shape: what the fuzzers below demand of each request. */
  const assertClientAnswer = (answer: { status: number; headers: Record<string, string>; body: string }) => {
    assert.ok(answer.status < 500, `${answer.status} ${answer.body}`);
    if (answer.status >= 400) errorCodeOf(answer);
  };

  it('fuzz: request paths of any printable bytes and percent-encodings answer 2xx/4xx in the JSON shape', async () => {
    const segment = fc.oneof(
      fc.string({ unit: fc.constantFrom(...'%zZ09aA/._-~!$&()*+,;=:@?#[]\\"<>^`{|} '.split('')), maxLength: 12 }),
      fc.string({ unit: 'grapheme', maxLength: 6 }).map((text) => encodeURIComponent(text)),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
        fc.array(segment, { maxLength: 4 }),
        async (method, parts) => {
          const path = `/api/${parts.join('/')}`.replaceAll(' ', '%20').replaceAll('#', '%23');
          assertClientAnswer(
            await rawRequest(server.port, `${method} ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  it('fuzz: bodies and body headers of any shape answer 2xx/4xx in the JSON shape', async () => {
    const body = fc.oneof(
      fc.json({ depthSize: 'medium' }),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
      fc.constantFrom('{"username":', '[', '{"topic":"t","data":' + '{"a":'.repeat(80), 'null', '"x"', '1e999'),
    );
    const contentType = fc.constantFrom(
      'application/json',
      'application/json; charset=utf-16',
      'application/json; charset=utf-7',
      'application/problem+json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/json; charset',
    );
    const encoding = fc.constantFrom(undefined, 'gzip', 'deflate', 'br', 'identity', 'x-unknown');
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          '/api/login',
          '/api/desktop/events',
          '/api/users',
          '/api/desktop/token',
          '/api/desktop/authcode',
        ),
        body,
        contentType,
        encoding,
        fc.boolean(),
        async (path, text, type, contentEncoding, authorised) => {
          const payload = Buffer.from(text, 'latin1');
          const headers = [
            `POST ${path} HTTP/1.1`,
            'Host: x',
            'Connection: close',
            `Content-Type: ${type}`,
            `Content-Length: ${payload.length}`,
            ...(contentEncoding ? [`Content-Encoding: ${contentEncoding}`] : []),
            ...(authorised ? [`Authorization: Bearer ${token}`] : []),
          ];
          const request = Buffer.concat([Buffer.from(`${headers.join('\r\n')}\r\n\r\n`), payload]);
          assertClientAnswer(await rawRequest(server.port, request));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('the process is still up and serving after the whole corpus', async () => {
    assert.equal((await fetch(`${server.baseUrl}/health`)).status, 200);
    assert.equal((await fetch(`${server.baseUrl}/ready`)).status, 200);
    assert.doesNotMatch(server.output(), /Maximum call stack|unhandled|Illegal mix/i);
  });
});
