/**
 * What can be read from an upgrade request without any I/O: whether it is a well-formed WebSocket handshake, the
 * token it carries and the client's address. Checked before any database work, so a broken or hostile handshake costs
 * nothing but this.
 */
import type { IncomingMessage } from 'node:http';
import { bearerToken } from '../../auth/index.js';
import { BEARER_SUBPROTOCOL_PREFIX } from './protocol.js';
import { refusal, type UpgradeRefusal } from './refusal.js';

// The same rules ws applies in WebSocketServer.handleUpgrade (which would answer text/html, and only after our
// database work): RFC 6455 section 4.2.1.
const KEY = /^[+/0-9A-Za-z]{22}==$/;
const SUPPORTED_VERSIONS = new Set(['13', '8']);
/**
 * RFC 7230 tokens separated by commas, with spaces or tabs only around the commas, each token once: what ws's
 * subprotocol parser accepts (it refuses a duplicate, and so must we, or ws would answer that handshake itself).
 */
const TOKEN_LIST = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:[ \t]*,[ \t]*[!#$%&'*+\-.^_`|~0-9A-Za-z]+)*$/;

function validSubprotocols(header: string): boolean {
  if (!TOKEN_LIST.test(header)) return false;
  const protocols = header.split(',').map((protocol) => protocol.trim());
  return new Set(protocols).size === protocols.length;
}

/** Why the request is not a WebSocket handshake ws would accept, or undefined when it is one. */
export function handshakeRefusal(req: IncomingMessage): UpgradeRefusal | undefined {
  if (req.method !== 'GET') {
    return refusal(405, 'bad_handshake', 'A WebSocket handshake is a GET request', { Allow: 'GET' });
  }
  if (!req.headers.host) {
    return refusal(400, 'bad_handshake', 'A WebSocket handshake needs a Host header (RFC 6455 section 4.1)');
  }
  if (req.headers.upgrade?.toLowerCase() !== 'websocket') {
    return refusal(400, 'bad_handshake', 'The Upgrade header must be websocket');
  }
  const key = req.headers['sec-websocket-key'];
  if (key === undefined || !KEY.test(key)) {
    return refusal(400, 'bad_handshake', 'Missing or invalid Sec-WebSocket-Key header');
  }
  const version = req.headers['sec-websocket-version'];
  if (version === undefined || !SUPPORTED_VERSIONS.has(version.trim())) {
    return refusal(400, 'bad_handshake', 'Missing or unsupported Sec-WebSocket-Version header (13 is spoken)', {
      'Sec-WebSocket-Version': '13, 8',
    });
  }
  const protocols = req.headers['sec-websocket-protocol'];
  if (protocols !== undefined && !validSubprotocols(protocols)) {
    return refusal(400, 'bad_handshake', 'Invalid Sec-WebSocket-Protocol header');
  }
  return undefined;
}

/** The token from `Authorization: Bearer` or, for clients that cannot set headers, the `bearer.<token>` subprotocol. */
export function tokenOf(req: IncomingMessage): string | undefined {
  if (req.headers.authorization !== undefined) return bearerToken(req.headers.authorization);
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((value) => value.trim());
  const carrier = offered.find((value) => value.startsWith(BEARER_SUBPROTOCOL_PREFIX));
  return carrier?.slice(BEARER_SUBPROTOCOL_PREFIX.length) || undefined;
}

/**
 * The client's address as Express's `trust proxy` with a hop count reads it: the TCP peer, or the address that many
 * trusted proxies (the ALB) appended to X-Forwarded-For. Anything further left was written by the client.
 */
export function clientAddress(req: IncomingMessage, trustedProxyHops: number): string | undefined {
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((value) => value.trim())
    .filter(Boolean);
  const hops = [req.socket.remoteAddress, ...forwarded.reverse()];
  return hops[Math.min(trustedProxyHops, hops.length - 1)];
}
