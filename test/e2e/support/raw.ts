/**
 * Requests a well-behaved client library would never send: bytes written straight to a TCP socket, and the first
 * HTTP answer read back. For the hostile-input scenarios.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

export interface RawAnswer {
  /** 0 when the server closed or stayed silent without an HTTP answer. */
  status: number;
  headers: Record<string, string>;
  body: string;
  ms: number;
}

/** Sends `data` and reads one HTTP response (up to its Content-Length, or until the server closes). */
export async function rawRequest(port: number, data: string | Buffer, timeoutMs = 5000): Promise<RawAnswer> {
  const started = Date.now();
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  return new Promise((resolve) => {
    let received = Buffer.alloc(0);
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...parseResponse(received), ms: Date.now() - started });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const parsed = parseResponse(received);
      const length = Number(parsed.headers['content-length'] ?? NaN);
      if (parsed.status && Buffer.byteLength(parsed.body) >= length) finish();
    });
    socket.on('close', finish);
    socket.write(data);
  });
}

function parseResponse(bytes: Buffer): Omit<RawAnswer, 'ms'> {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, headers: {}, body: '' };
  const [statusLine = '', ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return {
    status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0),
    headers,
    body: bytes.subarray(end + 4).toString('utf8'),
  };
}

/** True when the body is `{"error":{"code":"...","message":"..."}}` and says it is JSON. */
export function isJsonError(answer: { headers: Record<string, string>; body: string }): boolean {
  if (!/application\/json/.test(answer.headers['content-type'] ?? '')) return false;
  try {
    const error = (JSON.parse(answer.body) as { error?: { code?: unknown; message?: unknown } }).error;
    return typeof error?.code === 'string' && typeof error.message === 'string';
  } catch {
    return false;
  }
}

/** An upgrade request for `path`, with the given extra header lines (a valid key and version unless overridden). */
export function upgradeRequest(port: number, path: string, headers: Record<string, string | undefined> = {}): string {
  const all: Record<string, string | undefined> = {
    Host: `127.0.0.1:${port}`,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    'Sec-WebSocket-Version': '13',
    ...headers,
  };
  const lines = Object.entries(all)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `${name}: ${value}`);
  return `GET ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

/** A completed desktop handshake on a bare socket, for writing arbitrary frame bytes after it. */
export async function rawDesktopSocket(port: number, token: string): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  socket.write(upgradeRequest(port, '/ws/desktop', { Authorization: `Bearer ${token}` }));
  let head = Buffer.alloc(0);
  while (head.indexOf('\r\n\r\n') < 0) {
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    head = Buffer.concat([head, chunk]);
  }
  if (!head.toString('latin1').startsWith('HTTP/1.1 101')) throw new Error(head.toString('latin1'));
  return socket;
}

/** Reads frames until a close frame (its code) or until the socket ends or `timeoutMs` passes (undefined). */
export function closeCodeOf(socket: Socket, timeoutMs: number): Promise<number | 'ended' | undefined> {
  return new Promise((resolve) => {
    let pending = Buffer.alloc(0);
    const done = (value: number | 'ended' | undefined) => {
      clearTimeout(timer);
      socket.off('data', onData);
      resolve(value);
    };
    const timer = setTimeout(() => {
      done(undefined);
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const opcode = pending[0]! & 0x0f;
        let length = pending[1]! & 0x7f;
        let offset = 2;
        if (length === 126) [length, offset] = [pending.length >= 4 ? pending.readUInt16BE(2) : Infinity, 4];
        else if (length === 127)
          [length, offset] = [pending.length >= 10 ? Number(pending.readBigUInt64BE(2)) : Infinity, 10];
        if (pending.length < offset + length) return;
        if (opcode === 0x8) {
          done(length >= 2 ? pending.readUInt16BE(offset) : 1005);
          return;
        }
        pending = pending.subarray(offset + length);
      }
    };
    socket.on('data', onData);
    socket.once('close', () => {
      done('ended');
    });
  });
}

/** A masked client frame (every client frame must be masked). */
export function clientFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const mask = randomBytes(4);
  const length = payload.length;
  const head =
    length < 126
      ? Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | length])
      : Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | 126, length >> 8, length & 0xff]);
  const masked = Buffer.from(payload.map((byte, index) => byte ^ mask[index % 4]!));
  return Buffer.concat([head, mask, masked]);
}
