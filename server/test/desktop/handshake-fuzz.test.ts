/**
 * Property: whatever handshake headers a client sends to /ws/desktop, the answer is a 101 or the JSON error shape,
 * never ws's own text/html 400. Generated with fast-check over real sockets, so a header value our checks let through
 * but ws would refuse shows up as a failing, shrunk case.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { desktopChannel } from '../../src/desktop/index.js';
import { createUser, login, startTestServer, type TestServer } from '../support/server.js';
import { desktopToken } from './client.js';
import { rawUpgrade } from './raw-upgrade.js';

const PASSWORD = 'correct horse battery';
/** Printable ASCII without CR/LF (a header value the HTTP parser passes through). */
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)) });

/** Mostly the valid value, so most runs isolate one odd header (where a disagreement with ws would hide). */
const mostly = <T>(valid: T, odd: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: fc.constant(valid), weight: 4 }, { arbitrary: odd, weight: 1 });

type Handshake = {
  method: string;
  upgrade: string;
  key: string | undefined;
  version: string | undefined;
  protocol: string | undefined;
  withToken: boolean;
};
const valid: Handshake = {
  method: 'GET',
  upgrade: 'websocket',
  key: 'valid',
  version: '13',
  protocol: undefined,
  withToken: true,
};
/** Each known edge once, beside otherwise valid headers (the random runs then mix them). */
const edges: [Handshake][] = [
  ...['desktop.v1, desktop.v1', 'desktop.v1, chat, chat', 'desktop.v1,,x', 'a b', ',', 'desktop.v1 ,\tchat'].map(
    (protocol): [Handshake] => [{ ...valid, protocol }],
  ),
  ...['0x0d', '13.0', '13, 8', '8', ''].map((version): [Handshake] => [{ ...valid, version }]),
  ...['AAAAAAAAAAAAAAAAAAAAAA=', 'short', ''].map((key): [Handshake] => [{ ...valid, key }]),
  [{ ...valid, method: 'get' }],
  [{ ...valid, upgrade: 'websocket, h2c' }],
];

const handshakes: fc.Arbitrary<Handshake> = fc.record({
  method: mostly('GET', fc.constantFrom('POST', 'PUT', 'DELETE', 'OPTIONS', 'get')),
  // Always present: without an Upgrade header the request is plain HTTP, not a handshake.
  upgrade: mostly('websocket', fc.oneof(fc.constantFrom('WebSocket', 'h2c', 'websocket, h2c'), headerText)),
  key: mostly<string | undefined>(
    'valid',
    fc.oneof(fc.constantFrom(undefined, 'AAAAAAAAAAAAAAAAAAAAAA==', 'short', 'AAAAAAAAAAAAAAAAAAAAAA='), headerText),
  ),
  version: mostly<string | undefined>(
    '13',
    fc.oneof(fc.constantFrom(undefined, '8', '12', '99', '0x0d', '13.0', '13, 8'), headerText),
  ),
  protocol: mostly<string | undefined>(
    undefined,
    fc.oneof(
      fc.constantFrom(
        'desktop.v1',
        'desktop.v1, desktop.v1',
        'desktop.v1,,x',
        'a b',
        'desktop.v1 ,\tchat',
        ',',
        'desktop.v1, chat, chat',
      ),
      headerText,
    ),
  ),
  withToken: fc.boolean(),
});

describe('any handshake to /ws/desktop', () => {
  let server: TestServer;
  let token: string;
  before(async () => {
    server = await startTestServer({ DESKTOP_EVENT_POLL_MS: '60000' }, { channels: [desktopChannel] });
    await createUser(server.db, { username: 'fuzzer', password: PASSWORD });
    token = await desktopToken(server.baseUrl, await login(server.baseUrl, 'fuzzer', PASSWORD));
  });
  after(() => server.stop());

  it('is answered with 101 or the JSON error shape, never ws text/html', async () => {
    await fc.assert(
      fc.asyncProperty(handshakes, async (handshake) => {
        const headers: Record<string, string> = { Connection: 'Upgrade', Upgrade: handshake.upgrade };
        if (handshake.key !== undefined) {
          headers['Sec-WebSocket-Key'] = handshake.key === 'valid' ? randomBytes(16).toString('base64') : handshake.key;
        }
        if (handshake.version !== undefined) headers['Sec-WebSocket-Version'] = handshake.version;
        if (handshake.protocol !== undefined) headers['Sec-WebSocket-Protocol'] = handshake.protocol;
        if (handshake.withToken) headers.Authorization = `Bearer ${token}`;
        const answer = await rawUpgrade(server.baseUrl, { method: handshake.method, headers });
        if (answer.status === 101) return;
        assert.match(answer.headers['content-type'] ?? '', /^application\/json/, `${answer.status} ${answer.body}`);
        const body = JSON.parse(answer.body) as { error?: { code?: unknown; message?: unknown } };
        assert.equal(typeof body.error?.code, 'string');
        assert.equal(typeof body.error?.message, 'string');
        assert.ok(answer.status >= 400 && answer.status < 500, String(answer.status));
      }),
      { numRuns: 300, examples: edges },
    );
  });
});
