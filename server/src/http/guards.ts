/**
 * Refusals that must happen before (or right after) the body parser, each answering in the JSON error shape: Node's
 * own answers to protocol mistakes are bare text, and body-parser reads a refused body to its end before answering.
 */
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RequestHandler } from 'express';
import { errorBody, HttpError } from './errors.js';
import { answerClientError, rejectUpgrade } from './upgrade.js';

/** Deepest nesting accepted in a JSON body: far above any real payload, far below a recursion limit. */
export const JSON_MAX_DEPTH = 64;

/**
 * Makes a server's protocol-level refusals JSON: unparsable requests (`clientError`) and an `Expect` other than
 * 100-continue (`checkExpectation`, else Node's bare 417) and CONNECT (405, else a silent close). Node's bare 400 for HTTP/1.1 without Host is turned off
 * here; `requireHost` gives that answer for the API, and the metrics port does not need a Host.
 */
export function answerProtocolErrorsAsJson(server: Server): void {
  // The `requireHostHeader` createServer option, read by Node at each request (untyped as a property).
  (server as Server & { requireHostHeader: boolean }).requireHostHeader = false;
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    answerClientError(error, socket);
  });
  // Node drops a CONNECT (proxy tunnel) request without a word when nobody listens for it.
  server.on('connect', (_req, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
    rejectUpgrade(socket, 405, 'method_not_allowed', 'CONNECT is not supported: this server is not a proxy', {
      Allow: 'GET, HEAD, POST',
    });
  });
  server.on('checkExpectation', (_req, res) => {
    const body = JSON.stringify(errorBody('expectation_failed', 'Only Expect: 100-continue is supported'));
    res
      .writeHead(417, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': Buffer.byteLength(body),
        Connection: 'close',
      })
      .end(body);
  });
}

/**
 * `Expect: 100-continue` with a declared body over the limit: 413 instead of the interim 100, so the client never
 * sends the body (Node would answer 100 Continue first). Other requests continue as usual.
 */
export function refuseOversizeBeforeContinue(server: Server, limitBytes: number): void {
  server.on('checkContinue', (req, res) => {
    const declared = req.headers['content-length'];
    if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > limitBytes) {
      const body = JSON.stringify(
        errorBody('payload_too_large', `The request body is over the limit of ${limitBytes} bytes`),
      );
      res
        .writeHead(413, {
          'Content-Type': 'application/json; charset=utf-8',
          'Content-Length': Buffer.byteLength(body),
          Connection: 'close',
        })
        .end(body);
      return;
    }
    res.writeContinue();
    server.emit('request', req, res);
  });
}

/**
 * OPTIONS outside a CORS preflight (which the CORS middleware answers first) is 404 like any other method no route
 * has: Express's automatic answer would be a text/plain list of methods, outside the JSON error shape.
 */
export const refuseOptions: RequestHandler = (req, _res, next) => {
  next(req.method === 'OPTIONS' ? new HttpError(404, 'not_found', `No route for OPTIONS ${req.path}`) : undefined);
};

/** HTTP/1.1 requires Host (RFC 9112, section 3.2): 400 without it, as Node would, but in the JSON shape. */
export const requireHost: RequestHandler = (req, _res, next) => {
  const http11 = req.httpVersionMajor > 1 || (req.httpVersionMajor === 1 && req.httpVersionMinor >= 1);
  next(
    http11 && !req.headers.host
      ? new HttpError(400, 'missing_host', 'HTTP/1.1 requests need a Host header')
      : undefined,
  );
};

/**
 * 413 at once when the declared Content-Length is over the limit, before a byte of the body is read (body-parser
 * would read, and discard, all of it first). The connection closes after the answer: the body is never read.
 */
export function refuseDeclaredOversize(limitBytes: number): RequestHandler {
  return (req, res, next) => {
    const declared = req.headers['content-length'];
    if (declared === undefined || !/^\d+$/.test(declared) || Number(declared) <= limitBytes) {
      next();
      return;
    }
    res.setHeader('Connection', 'close');
    next(new HttpError(413, 'payload_too_large', `The request body is over the limit of ${limitBytes} bytes`));
  };
}

const JSON_MEDIA_TYPE = /^application\/(?:[\w.-]+\+)?json$/i;
const CHARSET_PARAMETER = /;\s*charset\s*=\s*"?([^";\s]*)"?/i;

/** JSON is UTF-8 (RFC 8259, section 8.1): a JSON body declared in any other charset (UTF-7, UTF-16...) gets 415. */
export const requireUtf8Json: RequestHandler = (req, _res, next) => {
  const contentType = req.headers['content-type'] ?? '';
  const mediaType = contentType.split(';')[0]?.trim() ?? '';
  const charset = CHARSET_PARAMETER.exec(contentType)?.[1]?.toLowerCase();
  const refused = JSON_MEDIA_TYPE.test(mediaType) && charset !== undefined && charset !== 'utf-8' && charset !== 'utf8';
  next(refused ? new HttpError(415, 'unsupported_charset', 'JSON bodies must be UTF-8') : undefined);
};

/** True when `value` nests arrays/objects deeper than `maxDepth`; iterative, so any depth is safe to check. */
export function jsonDepthExceeds(value: unknown, maxDepth: number): boolean {
  const pending: [unknown, number][] = [[value, 0]];
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const [current, depth] = item;
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= maxDepth) return true;
    for (const child of Object.values(current)) {
      if (typeof child === 'object' && child !== null) pending.push([child, depth + 1]);
    }
  }
  return false;
}

/** After the JSON parser: 400 for a body nested deeper than `maxDepth` (recursive validators would overflow). */
export function limitJsonDepth(maxDepth = JSON_MAX_DEPTH): RequestHandler {
  return (req, _res, next) => {
    const tooDeep = jsonDepthExceeds(req.body, maxDepth);
    next(tooDeep ? new HttpError(400, 'too_deep', `JSON nested deeper than ${maxDepth} levels`) : undefined);
  };
}
