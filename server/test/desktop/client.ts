/** Test-side desktop client: the PKCE login over HTTP and a `ws` connection that queues what the server sends. */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { WebSocket, type ClientOptions } from 'ws';

export const REDIRECT_URI = 'http://127.0.0.1:53682/callback';

export interface ServerFrame {
  type: string;
  [key: string]: unknown;
}

export interface EventFrame extends ServerFrame {
  type: 'event';
  seq: number;
  topic: string;
  data: unknown;
  createdAt: string;
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export async function postJson(
  url: string,
  body: unknown,
  token?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export async function requestCode(baseUrl: string, apiToken: string, challenge: string, redirectUri = REDIRECT_URI) {
  const answer = await postJson(
    `${baseUrl}/api/desktop/authcode`,
    { code_challenge: challenge, code_challenge_method: 'S256', redirect_uri: redirectUri },
    apiToken,
  );
  if (answer.status !== 200) throw new Error(`authcode: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body.code as string;
}

export async function redeemCode(baseUrl: string, code: string, verifier: string, redirectUri = REDIRECT_URI) {
  return postJson(`${baseUrl}/api/desktop/token`, { code, code_verifier: verifier, redirect_uri: redirectUri });
}

/** The whole desktop login: PKCE pair, code, token. */
export async function desktopToken(baseUrl: string, apiToken: string): Promise<string> {
  const { verifier, challenge } = pkcePair();
  const code = await requestCode(baseUrl, apiToken, challenge);
  const answer = await redeemCode(baseUrl, code, verifier);
  if (answer.status !== 200) throw new Error(`token: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body.access_token as string;
}

export async function postEvent(baseUrl: string, token: string, topic: string, data: unknown, userId?: number) {
  const answer = await postJson(`${baseUrl}/api/desktop/events`, { topic, data, userId }, token);
  if (answer.status !== 201) throw new Error(`event: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body.seq as number;
}

const WAIT_MS = 15_000;

export interface OpenOptions {
  token?: string;
  afterSeq?: number;
  /** Send the token as the `bearer.<token>` subprotocol instead of the Authorization header. */
  viaSubprotocol?: boolean;
  wsOptions?: ClientOptions;
}

export class DesktopTestClient {
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly queue: ServerFrame[] = [];
  private waiter: (() => void) | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.queue.push(JSON.parse(data.toString('utf8')) as ServerFrame);
      this.waiter?.();
    });
    this.closed = new Promise((resolve) => {
      ws.once('close', (code, reason) => {
        resolve({ code, reason: reason.toString('utf8') });
        this.waiter?.();
      });
    });
  }

  static url(wsBase: string, afterSeq?: number): string {
    return `${wsBase}/ws/desktop${afterSeq === undefined ? '' : `?afterSeq=${afterSeq}`}`;
  }

  static socket(wsBase: string, options: OpenOptions): WebSocket {
    const { token, viaSubprotocol } = options;
    const protocols = viaSubprotocol && token ? ['desktop.v1', `bearer.${token}`] : [];
    const headers: Record<string, string> = !viaSubprotocol && token ? { authorization: `Bearer ${token}` } : {};
    return new WebSocket(DesktopTestClient.url(wsBase, options.afterSeq), protocols, {
      ...options.wsOptions,
      headers: { ...headers, ...options.wsOptions?.headers },
    });
  }

  /** Connects and waits for the welcome frame, which it returns with the client. */
  static async connect(
    wsBase: string,
    options: OpenOptions,
  ): Promise<{ client: DesktopTestClient; welcome: ServerFrame }> {
    const ws = DesktopTestClient.socket(wsBase, options);
    const client = new DesktopTestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => {
        resolve();
      });
      ws.once('unexpected-response', (_req, res) => {
        reject(new Error(`upgrade refused with ${String(res.statusCode)}`));
      });
      ws.once('error', reject);
    });
    const welcome = await client.next();
    if (welcome.type !== 'welcome') throw new Error(`expected welcome, got ${JSON.stringify(welcome)}`);
    return { client, welcome };
  }

  /** The close the socket ends with; fails after a while instead of hanging. */
  async waitClosed(): Promise<{ code: number; reason: string }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        reject(new Error('the socket did not close within the wait'));
      }, WAIT_MS);
    });
    try {
      return await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The next frame; fails after a while instead of hanging, or when the socket closes. */
  async next(): Promise<ServerFrame> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const frame = this.queue.shift();
      if (frame) return frame;
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error('socket closed while waiting for a frame');
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error('no frame within the wait');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  /** Event frames until (and including) `lastSeq`; fails on any other frame type. */
  async eventsThrough(lastSeq: number): Promise<EventFrame[]> {
    const events: EventFrame[] = [];
    while (events.at(-1)?.seq !== lastSeq) {
      const frame = await this.next();
      if (frame.type !== 'event') throw new Error(`expected an event, got ${JSON.stringify(frame)}`);
      events.push(frame as EventFrame);
    }
    return events;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Frames received and not yet taken. */
  pending(): readonly ServerFrame[] {
    return this.queue;
  }

  async close(): Promise<void> {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.close(1000);
    await this.closed;
  }
}

/**
 * A desktop connection over a bare TCP socket that stops reading right after the handshake: a truly stalled client
 * (a `ws` client resumes its socket by itself when its parser drains, so it cannot play this part reliably).
 */
export class StalledDesktopSocket {
  private pending = Buffer.alloc(0);

  private constructor(private readonly socket: Socket) {}

  static async open(baseUrl: string, token: string): Promise<StalledDesktopSocket> {
    const { port } = new URL(baseUrl);
    const socket = connect(Number(port), '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      `GET /ws/desktop HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
        `Authorization: Bearer ${token}\r\n\r\n`,
    );
    const stalled = new StalledDesktopSocket(socket);
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        stalled.pending = Buffer.concat([stalled.pending, chunk]);
        const end = stalled.pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        socket.pause();
        const head = stalled.pending.subarray(0, end).toString('latin1');
        stalled.pending = stalled.pending.subarray(end + 4);
        if (head.startsWith('HTTP/1.1 101')) resolve();
        else reject(new Error(head));
      };
      socket.on('data', onData);
    });
    return stalled;
  }

  /** Starts reading again and returns the code of the server's close frame, skipping every frame before it. */
  async closeCode(): Promise<number> {
    return new Promise((resolve, reject) => {
      const parse = () => {
        for (;;) {
          const frame = this.pending;
          if (frame.length < 2) return;
          const opcode = frame[0]! & 0x0f;
          let length = frame[1]! & 0x7f;
          let offset = 2;
          if (length === 126) {
            if (frame.length < 4) return;
            length = frame.readUInt16BE(2);
            offset = 4;
          } else if (length === 127) {
            if (frame.length < 10) return;
            length = Number(frame.readBigUInt64BE(2));
            offset = 10;
          }
          if (frame.length < offset + length) return;
          this.pending = frame.subarray(offset + length);
          if (opcode === 0x8) {
            this.socket.destroy();
            resolve(frame.readUInt16BE(offset));
            return;
          }
        }
      };
      this.socket.on('data', (chunk: Buffer) => {
        this.pending = Buffer.concat([this.pending, chunk]);
        parse();
      });
      this.socket.once('close', () => {
        reject(new Error('the connection ended without a close frame'));
      });
      parse();
      this.socket.resume();
    });
  }
}

/** The HTTP status of a refused upgrade; fails if the upgrade succeeds. */
export async function refusedUpgrade(
  wsBase: string,
  options: OpenOptions & { path?: string },
): Promise<{ status: number; body: string }> {
  const ws = options.path
    ? new WebSocket(`${wsBase}${options.path}`, options.wsOptions)
    : DesktopTestClient.socket(wsBase, options);
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      ws.terminate();
      reject(new Error('the upgrade was accepted'));
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    ws.once('error', (error) => {
      reject(error);
    });
  });
}

/** A sequence 1..n, for comparing received seqs. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}

/** The value of one sample (`name` or `name{labels}` exactly as exposed), 0 when absent. */
export async function metricValue(metricsUrl: string, sample: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${sample} `));
  return line ? Number(line.slice(sample.length + 1)) : 0;
}

export async function metricsText(metricsUrl: string): Promise<string> {
  return (await fetch(metricsUrl)).text();
}

/** Polls until the predicate holds (for effects that happen on a timer), failing after a while. */
export async function eventually(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
