import type { RequestHandler, Response } from 'express';
import type { BackendDeps } from '../deps.js';
import { HttpError } from '../http/errors.js';
import { InvalidTokenError, type Audience, type AuthUser, type Role, type TokenClaims } from './tokens.js';

export interface AuthContext {
  user: AuthUser;
  /** Undefined only for token-less requests when AUTH_REQUIRED=false. */
  claims: TokenClaims | undefined;
}

type AuthDeps = Pick<BackendDeps, 'config' | 'tokens' | 'users'>;

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer ([A-Za-z0-9\-_.~+/]+=*)$/i.exec(header?.trim() ?? '');
  return match?.[1];
}

/**
 * Was a token issued (`iat`, whole seconds: it has no finer grain) before the account's last change (disable, enable,
 * new password)? Such a token is revoked; one without `iat` counts as issued before.
 */
export function issuedBeforeChange(issuedAt: number | undefined, accountUpdatedAt: Date): boolean {
  return issuedAt === undefined || issuedAt < Math.floor(accountUpdatedAt.getTime() / 1000);
}

/**
 * Verifies a token for one of the audiences and loads its user from the DB, so a disabled or deleted user's tokens
 * stop working at once (and stay dead after re-enabling or a new password) and the role is the current one. Throws a
 * 401 HttpError otherwise.
 */
async function authenticateToken(deps: AuthDeps, token: string, audiences: readonly Audience[]): Promise<AuthContext> {
  let claims: TokenClaims | undefined;
  let lastError: unknown;
  for (const audience of audiences) {
    try {
      claims = await deps.tokens.verify(token, audience);
      break;
    } catch (error) {
      lastError = error;
    }
  }
  if (!claims) throw lastError instanceof HttpError ? lastError : new InvalidTokenError('The token is not valid');
  const user = await deps.users.findById(Number(claims.sub));
  if (!user || user.disabled || issuedBeforeChange(claims.iat, user.updatedAt)) {
    throw new InvalidTokenError('The token has been revoked');
  }
  return { user: { id: user.id, username: user.username, role: user.role }, claims };
}

/** A peer on this machine (the TCP peer, never X-Forwarded-For, which any client can write). */
function fromLoopback(address: string | undefined): boolean {
  return address === '::1' || /^(::ffff:)?127\./.test(address ?? '');
}

/**
 * Requires a valid bearer token (audience `api` unless told otherwise) and sets `res.locals.auth`. With
 * AUTH_REQUIRED=false (accepted only when NODE_ENV is development or test), a request without a token from this
 * machine acts as the oldest enabled admin, so every endpoint can be tried with plain curl; requests from elsewhere
 * still need a token, so a dev server reachable on a LAN does not hand out admin rights. A token that is sent is
 * always verified.
 */
export function requireAuth(deps: AuthDeps, options: { audience?: Audience | Audience[] } = {}): RequestHandler {
  const audiences = Array.isArray(options.audience) ? options.audience : [options.audience ?? 'api'];
  return async (req, res, next) => {
    const header = req.headers.authorization;
    const token = bearerToken(header);
    if (header === undefined && !deps.config.auth.required && fromLoopback(req.socket.remoteAddress)) {
      const admin = await deps.users.firstEnabledAdmin();
      if (!admin) {
        throw new HttpError(401, 'unauthorized', 'AUTH_REQUIRED=false but no enabled admin exists to act as');
      }
      res.locals.auth = { user: { id: admin.id, username: admin.username, role: admin.role }, claims: undefined };
      next();
      return;
    }
    if (!token) {
      throw new HttpError(401, 'unauthorized', 'A bearer token is required', {
        headers: { 'WWW-Authenticate': 'Bearer' },
      });
    }
    res.locals.auth = await authenticateToken(deps, token, audiences);
    next();
  };
}

/** The caller set by requireAuth; throws if requireAuth did not run (a wiring bug). */
export function authOf(res: Response): AuthContext {
  const auth = res.locals.auth as AuthContext | undefined;
  if (!auth) throw new Error('authOf called on a route without requireAuth');
  return auth;
}

/** 403 unless the authenticated caller has the role. */
export function requireRole(role: Role): RequestHandler {
  return (_req, res, next) => {
    if (authOf(res).user.role !== role) throw new HttpError(403, 'forbidden', `This needs the ${role} role`);
    next();
  };
}
