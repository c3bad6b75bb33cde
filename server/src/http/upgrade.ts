import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorBody } from './errors.js';

/**
 * Answers on a raw socket (a refused HTTP upgrade, an unparsable request) with a status and the JSON error, then
 * destroys the socket (no handshake).
 */
export function rejectUpgrade(
  socket: Duplex,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(errorBody(code, message));
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Connection: close',
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
  socket.once('finish', () => socket.destroy());
}

/**
 * The server's `clientError` handler: a request Node could not parse (bad request line, headers over the limit, header
 * timeout) gets the JSON error shape too, instead of Node's bare text answer.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  // A response already under way on this connection cannot be followed by another one.
  const inProgress = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (error.code === 'ECONNRESET' || inProgress) {
    socket.destroy();
    return;
  }
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    rejectUpgrade(socket, 431, 'headers_too_large', 'The request headers are too large');
  } else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    rejectUpgrade(socket, 408, 'request_timeout', 'The request took too long to arrive');
  } else {
    rejectUpgrade(socket, 400, 'bad_request', 'The request is not valid HTTP');
  }
}

/** The base that upgrade request targets are resolved against (only their path and query are read). */
export const UPGRADE_URL_BASE = 'http://upgrade.invalid';

/** The answer to a request target that no URL parser accepts, e.g. an absolute form with a broken host. */
export const INVALID_TARGET = { code: 'invalid_path', message: 'The request target cannot be parsed' } as const;

/** 400 in the JSON shape for an HTTP request whose target Express could not parse (it runs no middleware for it). */
export function answerUnparsableTarget(res: ServerResponse): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(errorBody(INVALID_TARGET.code, INVALID_TARGET.message));
  res
    .writeHead(400, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) })
    .end(body);
}
