/** Requests written byte for byte on a TCP socket: for what fetch refuses to send (no Host, a lying Content-Length). */
import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The whole answer as received. */
  raw: string;
}

/**
 * Writes `request` and reads until the server closes the connection, a complete response (by Content-Length) has
 * arrived, or `timeoutMs` passes (then rejects: a server that does not answer is a failure).
 */
export function rawRequest(port: number, request: string | Buffer, timeoutMs = 10_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) {
        reject(error);
        return;
      }
      const parsed = parseResponse(Buffer.concat(chunks).toString('utf8'));
      if (parsed) resolve(parsed);
      else reject(new Error(`no HTTP response: ${JSON.stringify(Buffer.concat(chunks).toString('utf8'))}`));
    };
    const timer = setTimeout(() => {
      finish(new Error(`no complete answer within ${timeoutMs} ms: ${Buffer.concat(chunks).toString('utf8')}`));
    }, timeoutMs);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const parsed = parseResponse(Buffer.concat(chunks).toString('utf8'));
      if (parsed && Buffer.byteLength(parsed.body) >= Number(parsed.headers['content-length'] ?? Infinity)) finish();
    });
    // The server may reset a connection whose body it refused to read; what it answered first still counts.
    socket.on('error', () => {
      finish();
    });
    socket.on('close', () => {
      finish();
    });
  });
}

function parseResponse(raw: string): RawResponse | undefined {
  // Interim answers (100 Continue) come before the final one: skip them.
  let text = raw;
  while (/^HTTP\/1\.[01] 1\d\d /.test(text) && text.includes('\r\n\r\n')) {
    text = text.slice(text.indexOf('\r\n\r\n') + 4);
  }
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const [statusLine = '', ...headerLines] = text.slice(0, end).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  if (!Number.isInteger(status)) return undefined;
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status, headers, body: text.slice(end + 4), raw };
}

/** The `{"error":{"code"}}` of a JSON error answer, or throws saying what came instead. */
export function errorCodeOf(response: { headers: Record<string, string>; body: string }): string {
  const contentType = response.headers['content-type'] ?? '';
  if (!contentType.startsWith('application/json')) {
    throw new Error(`not a JSON answer (${contentType}): ${response.body}`);
  }
  const parsed = JSON.parse(response.body) as { error?: { code?: unknown; message?: unknown } };
  if (typeof parsed.error?.code !== 'string' || typeof parsed.error.message !== 'string') {
    throw new Error(`not the JSON error shape: ${response.body}`);
  }
  return parsed.error.code;
}
