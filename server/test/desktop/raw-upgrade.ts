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

/** Sends one upgrade request and reads the whole answer (the server closes after a refusal). */
export async function rawUpgrade(
  baseUrl: string,
  options: { method?: string; path?: string; headers: Record<string, string> },
): Promise<RawAnswer> {
  const port = Number(new URL(baseUrl).port);
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(requestText(port, options.method ?? 'GET', options.path ?? '/ws/desktop', options.headers));
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const timer = setTimeout(() => socket.destroy(new Error('no complete answer within 10 s')), 10_000);
  try {
    await once(socket, 'end');
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const [head = '', body = ''] = text.split('\r\n\r\n', 2);
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const headers = Object.fromEntries(
    headerLines.map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
    }),
  );
  return { status: Number(statusLine.split(' ')[1]), headers, body };
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

/** Counts the connections the pool hands out (every query takes one) until `stop`. */
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
