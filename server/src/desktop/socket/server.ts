/**
 * The /ws/desktop endpoint on the API's own HTTP server: authenticates the upgrade before the handshake, then runs
 * one connection per desktop (welcome, resume, events, heartbeat, limits).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { bearerToken, type AuthUser } from '../../auth/index.js';
import { rejectUpgrade } from '../../http/index.js';
import { serverContract } from '../../../../platform/server-contract.js';
import type { EventFanout, Subscriber } from '../events/fanout.js';
import type { DesktopEvent, DesktopEventStore, StreamBounds } from '../events/store.js';
import type { DesktopMetrics } from '../metrics.js';
import {
  BEARER_SUBPROTOCOL_PREFIX,
  CloseCode,
  DESKTOP_SUBPROTOCOL,
  clientMessage,
  clientMessageTypes,
  parseAfterSeq,
  type ServerMessage,
} from './protocol.js';

export interface DesktopSession {
  readonly user: AuthUser;
  readonly grantId: number;
  /** Token issue time (`iat`), epoch seconds: a change to the account after it revokes the token. */
  readonly issuedAt: number;
  /** Token expiry, epoch seconds. */
  readonly expiresAt: number;
}

/** Why a token was refused: 401 (no usable token) or 403 (valid, but not allowed here). */
export interface Refusal {
  readonly status: 401 | 403;
  readonly reason: string;
  readonly message: string;
}

export interface SocketServerOptions {
  readonly logger: Logger;
  readonly metrics: DesktopMetrics;
  readonly store: DesktopEventStore;
  readonly fanout: EventFanout;
  readonly heartbeatMs: number;
  readonly maxPayloadBytes: number;
  readonly maxMessagesPer10s: number;
  readonly maxBufferedBytes: number;
  readonly corsOrigins: readonly string[];
  readonly isDraining: () => boolean;
  readonly authenticate: (token: string) => Promise<DesktopSession | Refusal>;
}

const RATE_WINDOW_MS = 10_000;
// setTimeout's ceiling; a longer-lived token is re-armed when the timer fires.
const MAX_TIMER_MS = 2 ** 31 - 1;

class RefusedUpgrade extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export class DesktopSocketServer {
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<DesktopConnection>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly options: SocketServerOptions) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxPayloadBytes,
      perMessageDeflate: false,
      handleProtocols: (protocols) => (protocols.has(DESKTOP_SUBPROTOCOL) ? DESKTOP_SUBPROTOCOL : false),
    });
    this.heartbeat = setInterval(() => {
      for (const connection of this.connections) connection.checkAlive();
    }, options.heartbeatMs);
    this.heartbeat.unref();
  }

  /** The `Channel.handleUpgrade` hook: claims requests for /ws/desktop, leaves the rest to other channels. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://upgrade.invalid');
    if (url.pathname !== serverContract.paths.desktopSocket) return false;
    socket.on('error', () => undefined); // a client vanishing mid-handshake must not crash the process
    this.admit(req, url, socket)
      .then((admitted) => {
        if (socket.destroyed) return;
        this.wss.handleUpgrade(req, socket, head, (ws) => {
          this.open(ws, admitted.session, admitted.afterSeq);
        });
      })
      .catch((error: unknown) => {
        const refusal =
          error instanceof RefusedUpgrade
            ? error
            : new RefusedUpgrade(500, 'internal_error', 'The upgrade could not be processed');
        if (!(error instanceof RefusedUpgrade)) this.options.logger.error({ err: error }, 'desktop upgrade failed');
        this.options.metrics.rejectedUpgrades.inc({ reason: refusal.reason });
        const headers: Record<string, string> = {};
        if (refusal.status === 401) headers['WWW-Authenticate'] = 'Bearer';
        if (refusal.status === 503) headers['Retry-After'] = '1';
        rejectUpgrade(socket, refusal.status, refusal.reason, refusal.message, headers);
      });
    return true;
  }

  /** Sends every live socket a 1001 and waits (bounded) until they are gone. */
  async drain(timeoutMs: number): Promise<void> {
    for (const connection of this.connections) connection.close(CloseCode.goingAway, 'server shutting down');
    const deadline = Date.now() + timeoutMs;
    while (this.connections.size > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (const connection of this.connections) connection.terminate();
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const connection of this.connections) connection.terminate();
    await new Promise<void>((resolve) => {
      this.wss.close(() => {
        resolve();
      });
    });
  }

  /** Closes the live sockets whose session matches (a revoked grant, a disabled user). */
  closeWhere(predicate: (session: DesktopSession) => boolean, code: number, reason: string): void {
    for (const connection of this.connections) {
      if (predicate(connection.session)) connection.close(code, reason);
    }
  }

  sessions(): DesktopSession[] {
    return [...this.connections].map((connection) => connection.session);
  }

  private async admit(
    req: IncomingMessage,
    url: URL,
    socket: Duplex,
  ): Promise<{ session: DesktopSession; afterSeq: number | undefined }> {
    if (this.options.isDraining()) throw new RefusedUpgrade(503, 'draining', 'The server is shutting down');
    const origin = req.headers.origin;
    if (origin !== undefined && !this.options.corsOrigins.includes(origin)) {
      throw new RefusedUpgrade(403, 'origin', 'This origin may not open desktop connections');
    }
    const afterSeq = parseAfterSeq(url.searchParams.get('afterSeq'));
    if (afterSeq === null) throw new RefusedUpgrade(400, 'bad_request', 'afterSeq must be a whole number');
    if (url.searchParams.has('token') || url.searchParams.has('access_token')) {
      throw new RefusedUpgrade(401, 'token_in_query', 'Send the token in the Authorization header, never the URL');
    }
    const token = tokenOf(req);
    if (!token) throw new RefusedUpgrade(401, 'missing_token', 'A desktop token is required');
    const session = await this.options.authenticate(token);
    if ('status' in session) throw new RefusedUpgrade(session.status, session.reason, session.message);
    if (socket.destroyed) throw new RefusedUpgrade(400, 'client_gone', 'The client went away');
    // Authentication awaited the database: the shutdown may have begun meanwhile.
    if (this.options.isDraining()) throw new RefusedUpgrade(503, 'draining', 'The server is shutting down');
    return { session, afterSeq };
  }

  private open(ws: WebSocket, session: DesktopSession, afterSeq: number | undefined): void {
    const connection = new DesktopConnection(ws, session, this.options, () => {
      this.connections.delete(connection);
      this.options.fanout.remove(connection);
    });
    this.connections.add(connection);
    connection.start(afterSeq).catch((error: unknown) => {
      this.options.logger.error({ err: error }, 'desktop connection failed to start');
      connection.close(CloseCode.internalError, 'internal error');
    });
  }
}

/** The token from `Authorization: Bearer` or, for clients that cannot set headers, the `bearer.<token>` subprotocol. */
function tokenOf(req: IncomingMessage): string | undefined {
  if (req.headers.authorization !== undefined) return bearerToken(req.headers.authorization);
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((value) => value.trim());
  const carrier = offered.find((value) => value.startsWith(BEARER_SUBPROTOCOL_PREFIX));
  return carrier?.slice(BEARER_SUBPROTOCOL_PREFIX.length) || undefined;
}

class DesktopConnection implements Subscriber {
  readonly id = randomUUID();
  readonly userId: number;
  cursor = 0;
  private alive = true;
  private started = false;
  private closing = false;
  private closeCode: number | undefined;
  private windowStart = Date.now();
  private messagesInWindow = 0;
  private expiryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ws: WebSocket,
    readonly session: DesktopSession,
    private readonly options: SocketServerOptions,
    private readonly onGone: () => void,
  ) {
    this.userId = session.user.id;
    options.metrics.openConnections.inc();
    ws.on('pong', () => {
      this.alive = true;
    });
    ws.on('message', (data, isBinary) => {
      this.onMessage(data, isBinary);
    });
    ws.on('error', (error: Error & { code?: string }) => {
      // ws has already sent the close frame for a protocol error and stops reading, so record its code here.
      this.closeCode ??= WS_ERROR_CLOSE_CODES[error.code ?? ''] ?? 1002;
      options.logger.debug({ err: error, connectionId: this.id }, 'desktop socket error');
    });
    ws.on('close', (code) => {
      clearTimeout(this.expiryTimer);
      options.metrics.openConnections.dec();
      options.metrics.closes.inc({ code: closeCodeLabel(this.closeCode ?? code) });
      this.onGone();
    });
    this.armExpiry();
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
    this.started = true;
    this.cursor = afterSeq ?? bounds.lastSeq;
    this.checkResumePoint(bounds);
    this.options.fanout.add(this);
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

  resyncRequired(oldestSeq: number, lastSeq: number): void {
    const ahead = this.cursor > lastSeq;
    this.send({
      type: 'resync_required',
      afterSeq: this.cursor,
      oldestSeq,
      lastSeq,
      message: ahead
        ? 'afterSeq is past the last event the server holds: reload your state, then events continue after lastSeq'
        : 'Events after afterSeq were pruned: reload your state, then events continue after lastSeq',
    });
    this.cursor = lastSeq;
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
    this.closeCode ??= 1006;
    this.ws.terminate();
  }

  /**
   * The cursor moves at once, so nothing delivered after this message is sent twice; the bounds check then catches
   * what the fanout cannot see: a client ahead of the server, or a resume point whose events were all pruned.
   */
  private async resume(afterSeq: number): Promise<void> {
    this.cursor = afterSeq;
    this.options.fanout.wake();
    const bounds = await this.options.store.bounds(this.userId);
    if (this.cursor === afterSeq) this.checkResumePoint(bounds);
  }

  private checkResumePoint(bounds: StreamBounds): void {
    const pruned = this.cursor < bounds.oldestSeq - 1 && this.cursor < bounds.lastSeq;
    if (pruned || this.cursor > bounds.lastSeq) this.resyncRequired(bounds.oldestSeq, bounds.lastSeq);
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (!this.withinRate()) {
      this.close(CloseCode.policyViolation, 'message rate limit exceeded');
      return;
    }
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
        if (!this.started) {
          this.sendError('not_ready', 'Wait for the welcome message before resuming');
          break;
        }
        this.resume(message.data.afterSeq).catch((error: unknown) => {
          this.options.logger.error({ err: error, connectionId: this.id }, 'desktop resume failed');
          this.sendError('internal_error', 'The resume could not be processed; try again');
        });
        break;
    }
  }

  private withinRate(): boolean {
    const now = Date.now();
    if (now - this.windowStart >= RATE_WINDOW_MS) {
      this.windowStart = now;
      this.messagesInWindow = 0;
    }
    this.messagesInWindow += 1;
    return this.messagesInWindow <= this.options.maxMessagesPer10s;
  }

  private armExpiry(): void {
    const remaining = this.session.expiresAt * 1000 - Date.now();
    this.expiryTimer = setTimeout(
      () => {
        if (this.session.expiresAt * 1000 > Date.now()) this.armExpiry();
        else this.close(CloseCode.policyViolation, 'token expired');
      },
      Math.min(Math.max(remaining, 0), MAX_TIMER_MS),
    );
    this.expiryTimer.unref();
  }

  private sendError(code: string, message: string): void {
    this.send({ type: 'error', code, message });
  }

  private send(message: ServerMessage): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(JSON.stringify(message));
    this.options.metrics.messagesSent.inc({ type: message.type });
  }
}

// The close code ws sends for the protocol errors that are not 1002.
const WS_ERROR_CLOSE_CODES: Record<string, number> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: CloseCode.messageTooBig,
  WS_ERR_INVALID_UTF8: 1007,
};

// Clients may close with any code from 1000 to 4999; only these become labels, so the series stay few.
const LABELLED_CLOSE_CODES = new Set<number>([
  1000,
  1001,
  1002,
  1005,
  1006,
  1007,
  1008,
  1009,
  1011,
  ...Object.values(CloseCode),
]);

function closeCodeLabel(code: number): string {
  return LABELLED_CLOSE_CODES.has(code) ? String(code) : 'other';
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return (data instanceof ArrayBuffer ? Buffer.from(data) : data).toString('utf8');
}
