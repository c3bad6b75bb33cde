/**
 * Per-request bookkeeping that every HTTP answer pays, kept lean: the request id, the security headers (computed once
 * at start), and one JSON log line per request. pino-http made a child logger, a serializer pass and several closures
 * per request; this builds the log object only when its level is enabled and a child logger only when a route logs.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express, RequestHandler } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';

/** An incoming X-Request-Id is kept (tracing through the ALB) when it is short and harmless to log. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const REQUEST_ID_HEADER = 'X-Request-Id';

declare module 'node:http' {
  interface IncomingMessage {
    /** Set by `requestFront`: the X-Request-Id echoed to the client and written in every log line. */
    id: string;
    /** A logger bound to this request's id (made on first use). */
    readonly log: Logger;
  }
}

function requestIdOf(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/** Query parameters whose values never reach the logs (a client may put a credential in a URL by mistake). */
const SECRET_QUERY_KEY = /token|code|password|passwd|secret|key|verifier|auth|session|signature|credential/i;

/** The URL as logged: path as is, values of credential-like query parameters replaced. */
function loggableUrl(url: string | undefined): string | undefined {
  const queryAt = url?.indexOf('?') ?? -1;
  if (url === undefined || queryAt === -1) return url;
  const params = new URLSearchParams(url.slice(queryAt + 1));
  for (const key of new Set(params.keys())) {
    if (SECRET_QUERY_KEY.test(key)) params.set(key, '[redacted]');
  }
  return `${url.slice(0, queryAt)}?${params.toString()}`;
}

/** The headers Helmet would set, computed once by running it against a recording response. */
function staticSecurityHeaders(): [name: string, value: string][] {
  const headers = new Map<string, string>();
  const recorder = {
    setHeader(name: string, value: unknown) {
      headers.set(name, String(value));
    },
    removeHeader(name: string) {
      headers.delete(name);
    },
    getHeader: (name: string) => headers.get(name),
  };
  // Helmet's default headers depend on nothing in the request (its CSP nonce support is not used here).
  helmet()(Object.create(null) as IncomingMessage, recorder as unknown as ServerResponse, () => undefined);
  return [...headers];
}

/**
 * First middleware: X-Request-Id, the fixed security headers, and `Connection: close` while draining (keep-alive
 * sockets then close after their current response, so the listener can finish closing).
 */
export function requestFront(options: { securityHeaders: boolean; isDraining: () => boolean }): RequestHandler {
  const fixed = options.securityHeaders ? staticSecurityHeaders() : [];
  return (req, res, next) => {
    req.id = requestIdOf(req);
    res.setHeader(REQUEST_ID_HEADER, req.id);
    for (const [name, value] of fixed) res.setHeader(name, value);
    if (options.isDraining()) res.setHeader('Connection', 'close');
    next();
  };
}

/** Makes `req.log` a lazily created child logger carrying the request id (routes log through it). */
export function installRequestLog(app: Express, logger: Logger): void {
  const childOf = new WeakMap<IncomingMessage, Logger>();
  Object.defineProperty(app.request, 'log', {
    configurable: true,
    get(this: IncomingMessage) {
      let child = childOf.get(this);
      if (!child) {
        child = logger.child({ reqId: this.id });
        childOf.set(this, child);
      }
      return child;
    },
  });
}

/** One JSON log line per request with its id; health probes and the like log at debug only. */
export function requestLogger(logger: Logger, quietPaths: readonly string[]): RequestHandler {
  // These lines are built below from fields that hold no credential (the URL's credential-like query values are
  // replaced), so they skip pino's redaction pass: it cost about 6 of the 7 microseconds a line took.
  const lines = logger.child({}, { redact: [] });
  return (req, res, next) => {
    const started = performance.now();
    res.once('finish', () => {
      const status = res.statusCode;
      const level = status >= 500 ? 'error' : quietPaths.includes(req.path) ? 'debug' : status >= 400 ? 'warn' : 'info';
      if (!lines.isLevelEnabled(level)) return;
      // Request and response headers stay out of the logs (they carry credentials and add noise).
      lines[level](
        {
          req: {
            id: req.id,
            method: req.method,
            url: loggableUrl(req.originalUrl),
            remoteAddress: req.socket.remoteAddress,
          },
          res: { statusCode: status },
          responseTime: Math.round(performance.now() - started),
        },
        'request completed',
      );
    });
    next();
  };
}
