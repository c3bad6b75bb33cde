import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { pinoHttp, type HttpLogger } from 'pino-http';

/** An incoming X-Request-Id is kept (tracing through the ALB) when it is short and harmless to log. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const REQUEST_ID_HEADER = 'X-Request-Id';

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

/** One JSON log line per request with its id (echoed as X-Request-Id); health probes log at debug only. */
export function requestLogger(logger: Logger, quietPaths: readonly string[]): HttpLogger {
  return pinoHttp({
    logger,
    genReqId(req, res) {
      const id = requestIdOf(req);
      res.setHeader(REQUEST_ID_HEADER, id);
      return id;
    },
    // Request and response headers stay out of the logs (they carry credentials and add noise).
    serializers: {
      req: (req: { id: unknown; method: unknown; url: unknown; remoteAddress: unknown }) => ({
        id: req.id,
        method: req.method,
        url: loggableUrl(typeof req.url === 'string' ? req.url : undefined),
        remoteAddress: req.remoteAddress,
      }),
      res: (res: { statusCode: unknown }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel(req, res, error) {
      if (error || res.statusCode >= 500) return 'error';
      if (quietPaths.includes(req.url?.split('?')[0] ?? '')) return 'debug';
      return res.statusCode >= 400 ? 'warn' : 'info';
    },
  });
}
