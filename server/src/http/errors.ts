import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { classifyDatabaseFailure, RETRY_AFTER_SECONDS, type DatabaseFailure } from '../db/failures.js';

export interface HttpErrorOptions {
  /** Extra response headers, e.g. Retry-After. */
  headers?: Record<string, string>;
  cause?: unknown;
}

/** An error whose status, code and message are safe to show the client. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, options: HttpErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.headers = options.headers ?? {};
  }
}

export function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'not_found', `No route for ${req.method} ${req.path}`));
};

/** body-parser errors carry a `type` and a client-facing status. */
function fromBodyParser(error: unknown): HttpError | undefined {
  if (typeof error !== 'object' || error === null || !('type' in error)) return undefined;
  switch (error.type) {
    case 'entity.parse.failed':
      return new HttpError(400, 'invalid_json', 'The request body is not valid JSON');
    case 'entity.too.large':
      return new HttpError(413, 'payload_too_large', 'The request body is too large');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError(415, 'unsupported_encoding', 'The request body encoding is not supported');
    case 'request.aborted':
      return new HttpError(400, 'request_aborted', 'The request was aborted');
    default:
      return undefined;
  }
}

/** The 503 for a database failure (an outage, or a pool with every connection and queue place taken). */
export function databaseFailureError(failure: DatabaseFailure, cause?: unknown): HttpError {
  const headers = { 'Retry-After': String(RETRY_AFTER_SECONDS[failure]) };
  return failure === 'busy'
    ? new HttpError(503, 'database_busy', 'The database is busy; try again shortly', { headers, cause })
    : new HttpError(503, 'database_unavailable', 'The database is unavailable; try again shortly', { headers, cause });
}

/**
 * Client mistakes that libraries report with a 4xx `status` of their own (http-errors style): a malformed
 * percent-encoding in a route parameter (the router's URIError), a corrupt or truncated gzip/deflate body (zlib's
 * error, wrapped by body-parser). Their own messages may echo what the client sent, so they are replaced.
 */
function fromClientStatus(error: unknown): HttpError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, code } = error as { status?: unknown; code?: unknown };
  if (typeof status !== 'number' || status < 400 || status > 499) return undefined;
  if (error instanceof URIError) {
    return new HttpError(400, 'invalid_path', 'The request path has malformed percent-encoding');
  }
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return new HttpError(400, 'invalid_body_encoding', 'The request body is not valid gzip or deflate data');
  }
  const reason = STATUS_CODES[status] ?? 'Bad Request';
  return new HttpError(status, reason.toLowerCase().replace(/[^a-z]+/g, '_'), reason);
}

export interface ErrorHandlerOptions {
  /** Called for each request answered 503 because of the database (for a metric). */
  onDatabaseFailure?: (failure: DatabaseFailure) => void;
}

/** Last middleware: every error becomes `{"error":{"code","message"}}`; unexpected ones are logged, never shown. */
export function errorHandler(logger: Logger, options: ErrorHandlerOptions = {}): ErrorRequestHandler {
  const knownError = (error: unknown): HttpError | undefined => {
    if (error instanceof HttpError) return error;
    const known = fromBodyParser(error) ?? fromClientStatus(error);
    if (known) return known;
    const failure = classifyDatabaseFailure(error);
    if (!failure) return undefined;
    options.onDatabaseFailure?.(failure);
    return databaseFailureError(failure, error);
  };
  return (error: unknown, req, res, _next) => {
    const known = knownError(error);
    const httpError = known ?? new HttpError(500, 'internal_error', 'Internal server error');
    if (!known) ((req.log as Logger | undefined) ?? logger).error({ err: error }, 'unhandled error');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(httpError.status).set(httpError.headers).json(errorBody(httpError.code, httpError.message));
  };
}
