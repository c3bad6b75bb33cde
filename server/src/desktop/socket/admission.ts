/**
 * Upgrade admission: everything decided before the WebSocket handshake, cheapest first, so what can be refused
 * without the database is refused without it. Order: draining, a well-formed handshake, origin, the resume point and
 * where the token travels, the replica and per-address caps, the token's signature (no I/O), the per-user cap, and
 * only then the database (grant still active, user still enabled).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TokenClaims } from '../../auth/index.js';
import { clientAddressKey } from '../../auth/index.js';
import type { DesktopSession } from './connection.js';
import { clientAddress, handshakeRefusal, tokenOf } from './handshake.js';
import { parseAfterSeq } from './protocol.js';
import { refusal, isRefusal, type UpgradeRefusal } from './refusal.js';
import type { ConnectionRegistry } from './registry.js';
import type { SocketSlot } from './slots.js';

/** A token in the URL, in any letter case: it would end up in proxy and access logs. */
const TOKEN_QUERY_PARAMETER = /^(?:access_)?token$/i;

/** A token whose signature, issuer, audience and expiry were checked (no database yet). */
export interface VerifiedToken {
  readonly userId: number;
  readonly claims: TokenClaims;
}

export interface AdmissionOptions {
  readonly corsOrigins: readonly string[];
  readonly trustedProxyHops: number;
  readonly isDraining: () => boolean;
  /** CPU only: never touches the database. */
  readonly verify: (token: string) => Promise<VerifiedToken | UpgradeRefusal>;
  /** The database part: the grant is active and the user enabled. */
  readonly authorize: (token: VerifiedToken) => Promise<DesktopSession | UpgradeRefusal>;
}

export interface Admission {
  readonly session: DesktopSession;
  readonly afterSeq: number | undefined;
  /** This socket's share of the caps; the connection gives it back when it closes. */
  readonly slot: SocketSlot;
}

const RETRY_AFTER_SECONDS = '5';
const draining = () => refusal(503, 'draining', 'The server is shutting down', { 'Retry-After': '1' });

export async function admit(
  req: IncomingMessage,
  url: URL,
  socket: Duplex,
  registry: ConnectionRegistry,
  options: AdmissionOptions,
): Promise<Admission | UpgradeRefusal> {
  if (options.isDraining()) return draining();
  const broken = handshakeRefusal(req);
  if (broken) return broken;
  const origin = req.headers.origin;
  if (origin !== undefined && !options.corsOrigins.includes(origin)) {
    return refusal(403, 'origin', 'This origin may not open desktop connections');
  }
  // Two resume points (`?afterSeq=1&afterSeq=9`) are ambiguous: refused rather than one silently picked.
  const resumePoints = url.searchParams.getAll('afterSeq');
  const afterSeq = resumePoints.length > 1 ? null : parseAfterSeq(url.searchParams.get('afterSeq'));
  if (afterSeq === null) return refusal(400, 'bad_request', 'afterSeq must be one whole number');
  if ([...url.searchParams.keys()].some((name) => TOKEN_QUERY_PARAMETER.test(name))) {
    return refusal(401, 'token_in_query', 'Send the token in the Authorization header, never the URL');
  }
  const token = tokenOf(req);
  if (!token) return refusal(401, 'missing_token', 'A desktop token is required');

  const slot = registry.reserve(clientAddressKey(clientAddress(req, options.trustedProxyHops)));
  if (slot === 'server') {
    return refusal(503, 'server_socket_limit', 'This server holds as many desktop connections as it may', {
      'Retry-After': RETRY_AFTER_SECONDS,
    });
  }
  if (slot === 'address') {
    return refusal(429, 'address_socket_limit', 'Too many desktop connections from this address', {
      'Retry-After': RETRY_AFTER_SECONDS,
    });
  }
  try {
    const admitted = await authenticate(token, slot, socket, options);
    if (!isRefusal(admitted)) return { ...admitted, afterSeq };
    slot.release();
    return admitted;
  } catch (error) {
    slot.release();
    throw error;
  }
}

async function authenticate(
  token: string,
  slot: SocketSlot,
  socket: Duplex,
  options: AdmissionOptions,
): Promise<Omit<Admission, 'afterSeq'> | UpgradeRefusal> {
  const verified = await options.verify(token);
  if (isRefusal(verified)) return verified;
  if (!slot.claimUser(verified.userId)) {
    return refusal(429, 'user_socket_limit', 'This user holds as many desktop connections as it may', {
      'Retry-After': RETRY_AFTER_SECONDS,
    });
  }
  const session = await options.authorize(verified);
  if (isRefusal(session)) return session;
  if (socket.destroyed) return refusal(400, 'client_gone', 'The client went away');
  // Authorization awaited the database: the shutdown may have begun meanwhile.
  if (options.isDraining()) return draining();
  // Only the fields the connection reads: not the whole token claims nor anything else authorize returned, which
  // every live socket would otherwise keep.
  const { user, grantId, issuedAt, tokenVersion, expiresAt } = session;
  return { session: { user, grantId, issuedAt, tokenVersion, expiresAt }, slot };
}
