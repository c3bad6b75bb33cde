/** Hand-written upgrade requests over plain TCP, for handshakes no WebSocket client would send. */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import type { Pool } from '../../src/db/index.js';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Header lines of a valid handshake for /ws/desktop; override or drop (value undefined) any of them. */
export function handshakeHeaders(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const headers: Record<string, string | undefined> = {
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    'Sec-WebSocket-Version': '13',
    ...overrides,
  };
  return Object.fromEntries(
    Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

function requestText(port: number, method: string, path: string, headers: Record<string, string>): string {
  const lines = [`${method} ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/**
 * Sends one upgrade request and reads the answer: the head of a 101 (then hangs up), or a whole error answer (by its
 * Content-Length, or until the server closes).
 */
export async function rawUpgrade(
  baseUrl: string,
  options: { method?: string; path?: string; headers: Record<string, string> },
): Promise<RawAnswer> {
  const port = Number(new URL(baseUrl).port);
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(requestText(port, options.method ?? 'GET', options.path ?? '/ws/desktop', options.headers));
  let received = Buffer.alloc(0);
  const answer = new Promise<RawAnswer>((resolve, reject) => {
    const settle = (ended: boolean) => {
      const parsed = parseAnswer(received);
      if (!parsed) {
        if (ended) reject(new Error(`the connection ended before a complete answer: ${received.toString('utf8')}`));
        return;
      }
      const length = Number(parsed.headers['content-length'] ?? Number.NaN);
      const complete = parsed.status === 101 || ended || Buffer.byteLength(parsed.body) >= length;
      if (complete) resolve(parsed);
    };
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      settle(false);
    });
    socket.once('end', () => {
      settle(true);
    });
    socket.once('error', reject);
  });
  const timer = setTimeout(() => socket.destroy(new Error('no complete answer within 10 s')), 10_000);
  try {
    return await answer;
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}

function parseAnswer(received: Buffer): RawAnswer | undefined {
  const text = received.toString('utf8');
  const headEnd = text.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const [statusLine = '', ...headerLines] = text.slice(0, headEnd).split('\r\n');
  const headers = Object.fromEntries(
    headerLines.map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
    }),
  );
  return { status: Number(statusLine.split(' ')[1]), headers, body: text.slice(headEnd + 4) };
}

/** Sends an upgrade request and resets the connection (TCP RST) at once, or after `delayMs`. */
export async function resetUpgrade(
  baseUrl: string,
  path: string,
  headers: Record<string, string>,
  delayMs = 0,
): Promise<void> {
  const port = Number(new URL(baseUrl).port);
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  socket.write(requestText(port, 'GET', path, headers));
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  socket.resetAndDestroy();
  await once(socket, 'close');
}

/**
 * Sends an upgrade request and half-closes the connection at once (a FIN, as a client whose network went away mid
 * handshake), then waits until the server has closed its side too.
 */
export async function halfClosedUpgrade(baseUrl: string, headers: Record<string, string>): Promise<void> {
  const port = Number(new URL(baseUrl).port);
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.resume();
  await once(socket, 'connect');
  socket.end(requestText(port, 'GET', '/ws/desktop', headers));
  await once(socket, 'close');
}

/** Counts the connections the pool hands out (every query takes one) until `stop`. */
/**
 * Resolves once the pool has handed out no connection for `quietMs` (at most `timeoutMs`): the catch-up reads a
 * socket makes right after its welcome then cannot be mistaken for queries of the next request being measured.
 */
export async function poolSettled(pool: Pool, quietMs = 250, timeoutMs = 5000): Promise<void> {
  let last = Date.now();
  const onAcquire = () => {
    last = Date.now();
  };
  pool.on('acquire', onAcquire);
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() - last < quietMs && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    pool.off('acquire', onAcquire);
  }
}

export function countQueries(pool: Pool): { readonly count: number; stop(): void } {
  let count = 0;
  const onAcquire = () => {
    count += 1;
  };
  pool.on('acquire', onAcquire);
  return {
    get count() {
      return count;
    },
    stop() {
      pool.off('acquire', onAcquire);
    },
  };
}
