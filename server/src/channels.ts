import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Router } from 'express';
import type { BackendDeps } from './deps.js';

/** A long-lived channel (such as the desktop WebSocket) plugged into the backend's HTTP server and lifecycle. */
export interface Channel {
  name: string;
  /** Mounted at /api before the 404 handler. Define full paths in it (no nested routers) for metric labels. */
  router?: Router;
  /**
   * Asked for every HTTP upgrade; return true if this channel claimed (and now owns) the socket. The socket already has
   * an error listener that destroys it, so a client's reset never reaches the process.
   */
  handleUpgrade?(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** After the listeners are up: the actual port (useful for the startup log line). */
  listening?(address: { port: number }): void;
  /** Shutdown, after readiness flips and the listener closes: close sockets with 1001. */
  drain?(): Promise<void>;
  /** Shutdown, last: stop timers and pollers; runs before the DB pool closes. */
  close?(): Promise<void>;
}

/** Builds a channel from the backend's parts; the entry points (main.ts, cli/dev.ts) choose which channels run. */
export type ChannelFactory = (deps: BackendDeps) => Channel;
