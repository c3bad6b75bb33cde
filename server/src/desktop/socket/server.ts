/**
 * The /ws/desktop endpoint on the API's own HTTP server: admits the upgrade (admission.ts) before the handshake, then
 * runs one DesktopConnection per socket, kept in the registry and pinged by the heartbeat.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type Server as WebSocketServerOf } from 'ws';
import { serverContract } from '../../../../platform/server-contract.js';
import { classifyDatabaseFailure } from '../../db/failures.js';
import { databaseFailureError } from '../../http/errors.js';
import { HttpError, rejectUpgrade, UPGRADE_URL_BASE } from '../../http/index.js';
import { admit, type AdmissionOptions } from './admission.js';
import { CloseCode } from './close-codes.js';
import {
  DesktopConnection,
  DesktopWebSocket,
  type ConnectionOptions,
  type ConnectionOwner,
  type DesktopSession,
} from './connection.js';
import { ExpiryClock } from './expiry.js';
import { startHeartbeat } from './heartbeat.js';
import { DESKTOP_SUBPROTOCOL } from './protocol.js';
import { isRefusal, refusal, type UpgradeRefusal } from './refusal.js';
import { ConnectionRegistry } from './registry.js';
import { ReplayBudget } from './replay-budget.js';
import type { SocketLimits, SocketSlot } from './slots.js';

export type SocketServerOptions = ConnectionOptions &
  AdmissionOptions &
  SocketLimits & {
    readonly maxPayloadBytes: number;
    /** Replays per user per minute on this replica (DESKTOP_MAX_REPLAYS_PER_USER_PER_MINUTE). */
    readonly maxReplaysPerUserPerMinute: number;
  };

export class DesktopSocketServer implements ConnectionOwner {
  private readonly wss: WebSocketServerOf<typeof DesktopWebSocket>;
  private readonly registry: ConnectionRegistry;
  private readonly stopHeartbeat: () => void;
  private readonly expiry = new ExpiryClock<DesktopConnection>();
  private readonly replays: ReplayBudget;

  constructor(private readonly options: SocketServerOptions) {
    this.wss = new WebSocketServer({
      noServer: true,
      WebSocket: DesktopWebSocket,
      maxPayload: options.maxPayloadBytes,
      perMessageDeflate: false,
      // Pings are answered by the connection, counted against the message rate: ws's own answer cuts a ping flood
      // with no close frame at all (1006), where a documented 1008 tells the client why.
      autoPong: false,
      handleProtocols: (protocols) => (protocols.has(DESKTOP_SUBPROTOCOL) ? DESKTOP_SUBPROTOCOL : false),
    });
    this.registry = new ConnectionRegistry(options);
    this.replays = new ReplayBudget(options.maxReplaysPerUserPerMinute);
    this.stopHeartbeat = startHeartbeat(this.registry, options.heartbeatMs);
  }

  /** The `Channel.handleUpgrade` hook: claims requests for /ws/desktop, leaves the rest to other channels. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = URL.parse(req.url ?? '/', UPGRADE_URL_BASE);
    if (url?.pathname !== serverContract.paths.desktopSocket) return false;
    admit(req, url, socket, this.registry, this.options)
      .catch((error: unknown) => this.failed(error))
      .then((admitted) => {
        if (isRefusal(admitted)) {
          this.refuse(socket, admitted);
          return;
        }
        const ws = socket.destroyed ? undefined : this.handshake(req, socket, head);
        if (!ws) {
          // The slot must come back, or the user (and the address) would stay a socket short for good.
          admitted.slot.release();
          socket.destroy();
          return;
        }
        this.open(ws, admitted.session, admitted.afterSeq, admitted.slot);
      })
      .catch((error: unknown) => {
        this.options.logger.error({ err: error }, 'desktop upgrade failed');
        socket.destroy();
      });
    return true;
  }

  /**
   * ws's handshake: the socket, or undefined when ws dropped the request instead. ws calls back synchronously or not
   * at all, and it drops without a word a socket the client half-closed during admission (a FIN, not a reset).
   */
  private handshake(req: IncomingMessage, socket: Duplex, head: Buffer): DesktopWebSocket | undefined {
    let upgraded: DesktopWebSocket | undefined;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      upgraded = ws;
    });
    return upgraded;
  }

  /** Sends every live socket a 1001 and waits (bounded) until they are gone. */
  drain(timeoutMs: number): Promise<void> {
    return this.registry.drain(timeoutMs);
  }

  async close(): Promise<void> {
    this.stopHeartbeat();
    this.expiry.stop();
    this.registry.terminateAll();
    await new Promise<void>((resolve) => {
      this.wss.close(() => {
        resolve();
      });
    });
  }

  /** Closes the live sockets whose session matches (a revoked grant, a disabled user). */
  closeWhere(predicate: (session: DesktopSession) => boolean, code: number, reason: string): void {
    this.registry.closeWhere(predicate, code, reason);
  }

  sessions(): DesktopSession[] {
    return this.registry.sessions();
  }

  /** An admission that threw: a database outage or a full pool is a 503, anything else a 500 worth a log line. */
  private failed(error: unknown): UpgradeRefusal {
    const failure = classifyDatabaseFailure(error);
    const unavailable = failure ? databaseFailureError(failure, error) : error;
    if (unavailable instanceof HttpError && unavailable.status === 503) {
      return refusal(503, unavailable.code, unavailable.message, unavailable.headers);
    }
    this.options.logger.error({ err: error }, 'desktop upgrade failed');
    return refusal(500, 'internal_error', 'The upgrade could not be processed');
  }

  private refuse(socket: Duplex, refused: UpgradeRefusal): void {
    this.options.metrics.rejectedUpgrades.inc({ reason: refused.reason });
    const headers: Record<string, string> = { ...refused.headers };
    if (refused.status === 401) headers['WWW-Authenticate'] = 'Bearer';
    rejectUpgrade(socket, refused.status, refused.reason, refused.message, headers);
  }

  takeReplay(userId: number): boolean {
    return this.replays.take(userId);
  }

  connectionClosed(connection: DesktopConnection): void {
    this.registry.delete(connection);
    this.expiry.remove(connection);
    this.options.fanout.remove(connection);
    connection.slot.release();
  }

  private open(ws: DesktopWebSocket, session: DesktopSession, afterSeq: number | undefined, slot: SocketSlot): void {
    const connection = new DesktopConnection(ws, session, slot, this.options, this);
    this.registry.add(connection);
    this.expiry.add(connection);
    connection.start(afterSeq).catch((error: unknown) => {
      this.options.logger.error({ err: error, connectionId: connection.id }, 'desktop connection failed to start');
      connection.close(CloseCode.internalError, 'internal error');
    });
  }
}
