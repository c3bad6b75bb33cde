import type { RequestHandler, Response } from 'express';
import type { BackendDeps } from '../deps.js';
import { HttpError } from '../http/errors.js';
import type { User } from './users.js';
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
 * Is the token revoked by an account change (disable, enable, new password) since it was issued? Exact: the token's
 * version must equal the account's. A token from before versions existed (no `ver`) is judged the old way, by its
 * whole-second `iat` against the last change, and only while the account has not changed since.
 */
export function tokenRevoked(
  token: { iat?: number | undefined; ver?: number | undefined },
  user: Pick<User, 'updatedAt' | 'tokenVersion'>,
): boolean {
  if (token.ver !== undefined) return token.ver !== user.tokenVersion;
  return user.tokenVersion !== 0 || token.iat === undefined || token.iat < Math.floor(user.updatedAt.getTime() / 1000);
}

/**
 * Verifies a token for one of the audiences and looks its user up (UserRepository.findForAuth: cached per replica
 * for a bounded time), so a disabled or deleted user's tokens stop working (and stay dead after re-enabling or a new
 * password) and the role is the current one. Throws a 401 HttpError otherwise.
 */
async function authenticateToken(deps: AuthDeps, token: string, audiences: readonly Audience[]): Promise<AuthContext> {
  let claims: TokenClaims | undefined;
  let lastError: unknown;
  for (const audience of audiences) {
    try {
      claims = deps.tokens.verifyNow(token, audience);
      break;
    } catch (error) {
      lastError = error;
    }
  }
  if (!claims) throw lastError instanceof HttpError ? lastError : new InvalidTokenError('The token is not valid');
  const user = await deps.users.findForAuth(Number(claims.sub));
  if (!user || user.disabled || tokenRevoked(claims, user)) {
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
