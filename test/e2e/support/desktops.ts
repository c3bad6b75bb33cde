/**
 * Desktop clients that behave the way the README tells real ones to: keep the socket, check that every event's seq is
 * the previous one plus one, and on a 1001 reconnect (through the load balancer, so to another replica) with the
 * last seq seen. They record everything a scenario judges: gaps, duplicates, close codes, reconnect delays.
 */
import type { WebSocket } from 'ws';
import { createUser } from '../../../server/test/support/server.js';
import { login } from '../../../server/test/support/server.js';
import type { TestDatabase } from '../../../server/test/support/database.js';
import { DesktopTestClient, desktopToken, type ServerFrame } from '../../../server/test/desktop/client.js';
import { loopbackAddress, sleep } from './wait.js';

export interface DesktopUser {
  id: number;
  username: string;
  password: string;
  apiToken: string;
  desktopTokens: string[];
}

/** Users with an API token each and `desktops` desktop tokens each (PKCE login over HTTP at `baseUrl`). */
export async function provisionUsers(
  db: TestDatabase,
  baseUrl: string,
  count: number,
  desktops: number,
  prefix: string,
): Promise<DesktopUser[]> {
  const users: DesktopUser[] = [];
  for (let index = 0; index < count; index++) {
    const username = `${prefix}${index}`;
    const password = `password-${index}-long-enough`;
    const { id } = await createUser(db, { username, password });
    const apiToken = await login(baseUrl, username, password);
    const desktopTokens = await Promise.all(Array.from({ length: desktops }, () => desktopToken(baseUrl, apiToken)));
    users.push({ id, username, password, apiToken, desktopTokens });
  }
  return users;
}

const RECONNECT_DEADLINE_MS = 30_000;

export class ResilientDesktop {
  /** Every event seq received, in arrival order, over every connection. */
  readonly received: number[] = [];
  readonly problems: string[] = [];
  readonly closeCodes: number[] = [];
  /** From each server close to the next welcome, in ms. */
  readonly reconnectDelays: number[] = [];
  private ws: WebSocket | undefined;
  private stopping = false;
  private lastSeq = 0;

  constructor(
    readonly userId: number,
    private readonly wsBase: string,
    private readonly token: string,
    private readonly index: number,
  ) {}

  get last(): number {
    return this.lastSeq;
  }

  get open(): boolean {
    return this.ws?.readyState === 1;
  }

  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    const ws = DesktopTestClient.socket(this.wsBase, {
      token: this.token,
      afterSeq: this.lastSeq,
      wsOptions: { localAddress: loopbackAddress(this.index), handshakeTimeout: 10_000 },
    });
    let welcomed = false;
    await new Promise<void>((resolve, reject) => {
      ws.once('unexpected-response', (_req, res) => {
        reject(new Error(`upgrade refused with ${String(res.statusCode)}`));
        ws.terminate();
      });
      ws.once('error', reject);
      ws.once('close', (code, reason) => {
        if (!welcomed) reject(new Error(`closed with ${code} ${reason.toString('utf8')} before the welcome`));
      });
      ws.on('message', (data: Buffer) => {
        const frame = JSON.parse(data.toString('utf8')) as ServerFrame;
        if (!welcomed) {
          if (frame.type !== 'welcome') this.problems.push(`first frame was ${frame.type}, not welcome`);
          welcomed = true;
          resolve();
          return;
        }
        this.onFrame(frame);
      });
    });
    ws.removeAllListeners('error');
    ws.on('error', () => undefined);
    this.ws = ws;
    ws.once('close', (code) => {
      this.closeCodes.push(code);
      if (this.stopping) return;
      if (code !== 1001) this.problems.push(`closed with ${code}`);
      void this.reconnect(Date.now());
    });
  }

  private onFrame(frame: ServerFrame): void {
    if (frame.type !== 'event') {
      if (frame.type !== 'pong') this.problems.push(`unexpected ${JSON.stringify(frame)}`);
      return;
    }
    const seq = frame.seq as number;
    if (seq !== this.lastSeq + 1) this.problems.push(`seq ${seq} after ${this.lastSeq}`);
    this.received.push(seq);
    this.lastSeq = Math.max(this.lastSeq, seq);
  }

  private async reconnect(closedAt: number): Promise<void> {
    let attempt = 0;
    while (!this.stopping && Date.now() - closedAt < RECONNECT_DEADLINE_MS) {
      try {
        await this.connect();
        this.reconnectDelays.push(Date.now() - closedAt);
        return;
      } catch {
        // the next replica may be refusing for a moment: back off a little, as a real client would
        await sleep(Math.min(1000, 50 * 2 ** attempt++) * (0.5 + Math.random()));
      }
    }
    if (!this.stopping) this.problems.push(`no reconnect within ${RECONNECT_DEADLINE_MS} ms`);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const ws = this.ws;
    if (!ws || ws.readyState === 3) return;
    const closed = new Promise((resolve) => ws.once('close', resolve));
    ws.close(1000);
    await Promise.race([closed, sleep(5000)]);
    ws.terminate();
  }
}

/** Opens every user's desktops (in small batches, so the upgrades do not arrive as one burst). */
export async function openDesktops(users: readonly DesktopUser[], wsBase: string): Promise<ResilientDesktop[]> {
  const desktops = users.flatMap((user) =>
    user.desktopTokens.map((token, index) => new ResilientDesktop(user.id, wsBase, token, user.id * 31 + index)),
  );
  for (let start = 0; start < desktops.length; start += 25) {
    await Promise.all(desktops.slice(start, start + 25).map((desktop) => desktop.start()));
  }
  return desktops;
}
