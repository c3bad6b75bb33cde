/**
 * Test-only fault injection for the canary analysis test: a "bad build" of the server. Loaded before the server
 * with `NODE_OPTIONS=--import=<this file>` (Node 24 runs it as TypeScript by itself); nothing in the production
 * image or its configuration can turn it on.
 *
 * - Every answer on an /api/ path becomes a 500, both on the wire and for everything in the server that reads the
 *   status, so the 5xx reach http_request_duration_seconds through the server's own middleware.
 * - Every WebSocket upgrade that passed admission fails inside the handshake, which the socket server refuses as a
 *   500 `internal_error` and counts in desktop_ws_rejected_upgrades_total.
 */
import { ServerResponse } from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { WebSocketServer } from 'ws';

/** Express rewrites req.url inside mounted routers ('/api/me' becomes '/me'); originalUrl keeps the full path. */
function isApi(response: ServerResponse): boolean {
  // Undefined while Node's constructor runs (it sets statusCode before req).
  const req = response.req as (IncomingMessage & { originalUrl?: string }) | undefined;
  return (req?.originalUrl ?? req?.url ?? '').startsWith('/api/');
}

// Whoever reads the status (the metrics middleware, the request log, on-headers listeners) reads 500 ...
const storedStatus = Symbol('storedStatus');
type Stored = ServerResponse & { [storedStatus]?: number };
Object.defineProperty(ServerResponse.prototype, 'statusCode', {
  configurable: true,
  get(this: Stored) {
    return isApi(this) ? 500 : (this[storedStatus] ?? 200);
  },
  set(this: Stored, value: number) {
    this[storedStatus] = value;
  },
});

// ... and the client gets a 500 status line, whatever status the route chose.
// eslint-disable-next-line @typescript-eslint/unbound-method -- kept to be called with the response as `this`
const writeHead = ServerResponse.prototype.writeHead as (this: ServerResponse, ...args: unknown[]) => ServerResponse;
ServerResponse.prototype.writeHead = function (this: ServerResponse, ...args: unknown[]) {
  if (!isApi(this)) return writeHead.apply(this, args);
  const headers = args.find((arg): arg is OutgoingHttpHeaders => typeof arg === 'object' && arg !== null);
  return writeHead.call(this, 500, headers);
} as typeof ServerResponse.prototype.writeHead;

WebSocketServer.prototype.handleUpgrade = function () {
  throw new Error('injected fault: this build cannot complete a WebSocket handshake');
};
