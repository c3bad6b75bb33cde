/**
 * One desktop's socket once the handshake is done: the welcome, resume, event delivery, heartbeat answers, the
 * per-socket rate windows, the send-buffer ceiling and the token's expiry.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { WebSocket, type RawData } from 'ws';
import type { AuthUser } from '../../auth/index.js';
import type { EventFanout, Subscriber } from '../events/fanout.js';
import type { DesktopEvent, DesktopEventStore, StreamBounds } from '../events/store.js';
import type { DesktopMetrics } from '../metrics.js';
import { CloseCode, closeCodeLabel, closeCodeOfWsError, SENT_CLOSE_CODES } from './close-codes.js';
import { clientMessage, clientMessageTypes, type ServerMessage } from './protocol.js';
import type { Expiring } from './expiry.js';
import { RateWindow } from './rate-window.js';
import type { SocketSlot } from './slots.js';

export interface DesktopSession {
  readonly user: AuthUser;
  readonly grantId: number;
  /** Token issue time (`iat`), epoch seconds: a change to the account after it revokes the token. */
  readonly issuedAt: number;
  /** The account's token version in the token (undefined in tokens from before versions); see tokenRevoked. */
  readonly tokenVersion: number | undefined;
  /** Token expiry, epoch seconds. */
  readonly expiresAt: number;
}

export interface ConnectionOptions {
  readonly logger: Logger;
  readonly metrics: DesktopMetrics;
  readonly store: DesktopEventStore;
  readonly fanout: EventFanout;
  readonly heartbeatMs: number;
  readonly maxMessagesPer10s: number;
  readonly maxBufferedBytes: number;
  /** `resume` messages per socket per minute; more are answered with an error and not run. */
  readonly maxResumesPerMinute: number;
  /** A resume point further behind than this many events gets `resync_required` instead of a replay. */
  readonly maxReplayEvents: number;
}

const MESSAGE_WINDOW_MS = 10_000;
const RESUME_WINDOW_MS = 60_000;
const RESYNC_MESSAGES = {
  ahead: 'afterSeq is past the last event the server holds: reload your state, then events continue after lastSeq',
  pruned: 'Events after afterSeq were pruned: reload your state, then events continue after lastSeq',
  budget: 'Too many replays for this user in the last minute: reload your state, then events continue after lastSeq',
} as const;

/** The server side of a connection: one per server, shared by every connection. */
export interface ConnectionOwner {
  connectionClosed(connection: DesktopConnection): void;
  /** Counts a replay against the user's budget on this replica (replay-budget.ts); false when it is spent. */
  takeReplay(userId: number): boolean;
}

/**
 * The socket class the desktop server's ws makes: it points back at its connection, so the socket's listeners are
 * shared functions rather than closures made per socket (each would cost a closure and a context per connection).
 */
export class DesktopWebSocket extends WebSocket {
  connection?: DesktopConnection;

  /**
   * ws answers a client's close frame by echoing its code (RFC 6455 section 5.5.1: "typically"), so a client could make
   * the server send any code from 1000 to 4999. The server's own closes all use documented codes; any other code
   * here is such an echo, and is answered with 1000 instead.
   */
  override close(code?: number, data?: string | Buffer): void {
    if (code === undefined || SENT_CLOSE_CODES.has(code)) super.close(code, data);
    else super.close(CloseCode.normal);
  }
}

export class DesktopConnection implements Subscriber, Expiring {
  readonly id = randomUUID();
  cursor = 0;
  private alive = true;
  private started = false;
  private closing = false;
  private closeCode: number | undefined;
  // Rate windows are made on first use: most desktops only listen, and every open socket would carry them.
  private messages: RateWindow | undefined;
  private resumes: RateWindow | undefined;
  /**
   * Replies to messages that arrived before the welcome (sent once the user's lastSeq is read): held until it is out,
   * so the welcome is always the first frame. Bounded by the message rate window.
   */
  private beforeWelcome: ServerMessage[] | undefined = [];

  constructor(
    private readonly ws: DesktopWebSocket,
    readonly session: DesktopSession,
    /** This socket's share of the caps, given back when it closes. */
    readonly slot: SocketSlot,
    private readonly options: ConnectionOptions,
    private readonly owner: ConnectionOwner,
  ) {
    options.metrics.openConnections.inc();
    ws.connection = this;
    ws.on('ping', onPing);
    ws.on('pong', onPong);
    ws.on('message', onMessage);
    ws.on('error', onError);
    ws.on('close', onClose);
  }

  /** The socket answered a ping. */
  heardPong(): void {
    this.alive = true;
  }

  /** A WebSocket ping from the client: a message like any other for the rate limit, answered with its pong. */
  heardPing(data: Buffer): void {
    if (this.withinMessageRate()) this.ws.pong(data);
  }

  recordError(error: Error & { code?: string }): void {
    // ws has already sent the close frame for a protocol error and stops reading, so record its code here.
    this.closeCode ??= closeCodeOfWsError(error.code);
    this.options.logger.debug({ err: error, connectionId: this.id }, 'desktop socket error');
  }

  socketClosed(code: number): void {
    this.options.metrics.openConnections.dec();
    this.options.metrics.closes.inc({ code: closeCodeLabel(this.closeCode ?? code) });
    this.owner.connectionClosed(this);
  }

  async start(afterSeq: number | undefined): Promise<void> {
    const bounds = await this.options.store.bounds(this.userId);
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.send({
      type: 'welcome',
      connectionId: this.id,
      user: this.session.user,
      heartbeatMs: this.options.heartbeatMs,
      lastSeq: bounds.lastSeq,
    });
    const held = this.beforeWelcome ?? [];
    this.beforeWelcome = undefined;
    for (const message of held) this.send(message);
    this.started = true;
    this.cursor = afterSeq ?? bounds.lastSeq;
    this.checkResumePoint(bounds);
    this.options.fanout.add(this);
  }

  get userId(): number {
    return this.session.user.id;
  }

  /** Token expiry, epoch seconds (the server's ExpiryClock closes the socket then). */
  get expiresAt(): number {
    return this.session.expiresAt;
  }

  expire(): void {
    this.close(CloseCode.policyViolation, 'token expired');
  }

  deliver(event: DesktopEvent): boolean {
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    if (this.ws.bufferedAmount > this.options.maxBufferedBytes) {
      this.options.metrics.slowConsumerDrops.inc();
      this.close(CloseCode.slowConsumer, 'slow consumer: reconnect and resume');
      return false;
    }
    this.send({
      type: 'event',
      seq: event.seq,
      topic: event.topic,
      data: event.data,
      createdAt: new Date(event.createdAt).toISOString(),
    });
    this.cursor = event.seq;
    this.options.metrics.deliveryLag.observe(Math.max(0, Date.now() - event.createdAt) / 1000);
    return true;
  }

  /** The fanout found a hole in the user's events: they were pruned before this socket got them. */
  resyncRequired(oldestSeq: number, lastSeq: number): void {
    this.requireResync(oldestSeq, lastSeq, RESYNC_MESSAGES.pruned);
  }

  checkAlive(): void {
    if (!this.alive) {
      this.options.metrics.heartbeatTerminations.inc();
      this.terminate();
      return;
    }
    this.alive = false;
    this.ws.ping();
  }

  /**
   * Starts the closing handshake and leaves the fanout at once: a peer that does not answer keeps the socket for up
   * to ws's close timeout (30 s), and meanwhile its stale cursor would hold back every round for its user.
   */
  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.closeCode = code;
    this.options.fanout.remove(this);
    this.ws.close(code, reason);
  }

  terminate(): void {
    this.closeCode ??= CloseCode.abnormal;
    this.ws.terminate();
  }

  /**
   * The cursor moves at once, so nothing delivered after this message is sent twice; the bounds check then catches
   * what the fanout cannot see: a client ahead of the server, a resume point whose events were all pruned, or one so
   * far behind that a replay would re-read more history than a socket may ask for. The fanout is woken only after
   * that check, so a refused replay is not started meanwhile.
   */
  private async resume(afterSeq: number): Promise<void> {
    this.cursor = afterSeq;
    try {
      const bounds = await this.options.store.bounds(this.userId);
      if (this.cursor === afterSeq) this.checkResumePoint(bounds);
    } finally {
      this.options.fanout.wake();
    }
  }

  private checkResumePoint(bounds: StreamBounds): void {
    const { oldestSeq, lastSeq } = bounds;
    if (this.cursor > lastSeq) this.requireResync(oldestSeq, lastSeq, RESYNC_MESSAGES.ahead);
    else if (this.cursor < oldestSeq - 1 && this.cursor < lastSeq) {
      this.requireResync(oldestSeq, lastSeq, RESYNC_MESSAGES.pruned);
    } else if (lastSeq - this.cursor > this.options.maxReplayEvents) {
      this.requireResync(
        oldestSeq,
        lastSeq,
        `More than ${this.options.maxReplayEvents} events are missing: reload your state, then events continue after lastSeq`,
      );
    } else if (this.cursor < lastSeq && !this.owner.takeReplay(this.userId)) {
      this.requireResync(oldestSeq, lastSeq, RESYNC_MESSAGES.budget);
    }
  }

  private requireResync(oldestSeq: number, lastSeq: number, message: string): void {
    this.send({ type: 'resync_required', afterSeq: this.cursor, oldestSeq, lastSeq, message });
    this.cursor = lastSeq;
  }

  /** Counts a message from the client; past the limit the socket is closed with 1008 and false returned. */
  private withinMessageRate(): boolean {
    this.messages ??= new RateWindow(this.options.maxMessagesPer10s, MESSAGE_WINDOW_MS);
    if (this.messages.hit()) return true;
    this.close(CloseCode.policyViolation, 'message rate limit exceeded');
    return false;
  }

  receive(data: RawData, isBinary: boolean): void {
    if (!this.withinMessageRate()) return;
    if (isBinary) {
      this.options.metrics.messagesReceived.inc({ type: 'binary' });
      this.sendError('unsupported_frame', 'Send JSON text frames');
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(rawText(data));
    } catch {
      this.options.metrics.messagesReceived.inc({ type: 'malformed' });
      this.sendError('malformed_json', 'The message is not valid JSON');
      return;
    }
    const message = clientMessage.safeParse(parsed);
    if (!message.success) {
      const type = (parsed as { type?: unknown } | null)?.type;
      const known = typeof type === 'string' && clientMessageTypes.includes(type);
      this.options.metrics.messagesReceived.inc({ type: known ? type : 'unknown' });
      this.sendError(
        known ? 'invalid_message' : 'unknown_type',
        known ? `Invalid ${type} message` : `Unknown message type; expected one of ${clientMessageTypes.join(', ')}`,
      );
      return;
    }
    this.options.metrics.messagesReceived.inc({ type: message.data.type });
    switch (message.data.type) {
      case 'ping':
        this.send({ type: 'pong' });
        break;
      case 'resume':
        this.onResume(message.data.afterSeq);
        break;
    }
  }

  private onResume(afterSeq: number): void {
    if (!this.started) {
      this.sendError('not_ready', 'Wait for the welcome message before resuming');
      return;
    }
    this.resumes ??= new RateWindow(this.options.maxResumesPerMinute, RESUME_WINDOW_MS);
    if (!this.resumes.hit()) {
      const retryAfterMs = this.resumes.retryAfterMs();
      this.send({
        type: 'error',
        code: 'resume_rate_limited',
        message: `At most ${this.options.maxResumesPerMinute} resumes a minute; this one was not run`,
        retryAfterMs,
      });
      return;
    }
    this.resume(afterSeq).catch((error: unknown) => {
      this.options.logger.error({ err: error, connectionId: this.id }, 'desktop resume failed');
      this.sendError('internal_error', 'The resume could not be processed; try again');
    });
  }

  private sendError(code: string, message: string): void {
    this.send({ type: 'error', code, message });
  }

  private send(message: ServerMessage): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (this.beforeWelcome && message.type !== 'welcome') {
      this.beforeWelcome.push(message);
      return;
    }
    this.ws.send(JSON.stringify(message));
    this.options.metrics.messagesSent.inc({ type: message.type });
  }
}

// The socket's listeners: shared by every socket, they find their connection through it.
function onPing(this: DesktopWebSocket, data: Buffer): void {
  this.connection?.heardPing(data);
}

function onPong(this: DesktopWebSocket): void {
  this.connection?.heardPong();
}

function onMessage(this: DesktopWebSocket, data: RawData, isBinary: boolean): void {
  this.connection?.receive(data, isBinary);
}

function onError(this: DesktopWebSocket, error: Error & { code?: string }): void {
  this.connection?.recordError(error);
}

function onClose(this: DesktopWebSocket, code: number): void {
  const connection = this.connection;
  this.connection = undefined;
  connection?.socketClosed(code);
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return (data instanceof ArrayBuffer ? Buffer.from(data) : data).toString('utf8');
}
