/**
 * Desktop tokens: a JWT with the desktop audience whose `jti` is the id of the grant it was issued from. Every use
 * (HTTP and the WebSocket upgrade) checks the grant is still active, so revoking the grant revokes the token.
 */
import type { RequestHandler } from 'express';
import { decodeJwt } from 'jose';
import {
  bearerToken,
  InvalidTokenError,
  tokenRevoked,
  requireAuth,
  type AuthContext,
  type TokenClaims,
} from '../auth/index.js';
import type { BackendDeps } from '../deps.js';
import { HttpError } from '../http/errors.js';
import type { DesktopGrantStore } from './login/grants.js';
import type { VerifiedToken } from './socket/admission.js';
import type { DesktopSession } from './socket/connection.js';
import { isRefusal, type UpgradeRefusal } from './socket/refusal.js';

type AuthDeps = Pick<BackendDeps, 'config' | 'tokens' | 'users'>;

export interface DesktopAuthentication extends DesktopSession {
  readonly claims: TokenClaims;
}

/** The token's signature, issuer, audience and expiry: CPU only, so the upgrade can apply caps before the database. */
export async function verifyDesktopToken(deps: AuthDeps, token: string): Promise<VerifiedToken | UpgradeRefusal> {
  let claims: TokenClaims;
  try {
    claims = await deps.tokens.verify(token, 'desktop');
  } catch (error) {
    if (!(error instanceof InvalidTokenError)) throw error;
    // Authenticated, but at the wrong door: an API token is not a desktop token.
    const otherAudience = await deps.tokens.verify(token, 'api').then(
      () => true,
      () => false,
    );
    return otherAudience
      ? { status: 403, reason: 'wrong_audience', message: 'This needs a desktop token (POST /api/desktop/token)' }
      : { status: 401, reason: 'invalid_token', message: error.message };
  }
  return { userId: Number(claims.sub), claims };
}

/** The database part: the grant behind the token is still active and the user still enabled and unchanged. */
export async function authorizeDesktopToken(
  deps: AuthDeps,
  grants: DesktopGrantStore,
  { claims }: VerifiedToken,
): Promise<DesktopAuthentication | UpgradeRefusal> {
  const grantId = Number(claims.jti);
  if (!Number.isSafeInteger(grantId) || grantId <= 0 || !(await grants.isActive(grantId))) {
    return { status: 401, reason: 'token_revoked', message: 'The token has been revoked' };
  }
  const user = await deps.users.findForAuth(Number(claims.sub));
  if (!user) return { status: 401, reason: 'invalid_token', message: 'The token is not valid' };
  if (user.disabled) return { status: 403, reason: 'user_disabled', message: 'The user is disabled' };
  // As for API tokens: an account change (disabled then enabled, new password) revokes the tokens issued before it.
  if (claims.iat === undefined || tokenRevoked(claims, user)) {
    return { status: 401, reason: 'token_revoked', message: 'The token has been revoked' };
  }
  return {
    user: { id: user.id, username: user.username, role: user.role },
    grantId,
    issuedAt: claims.iat,
    tokenVersion: claims.ver,
    expiresAt: claims.exp,
    claims,
  };
}

async function authenticateDesktopToken(
  deps: AuthDeps,
  grants: DesktopGrantStore,
  token: string,
): Promise<DesktopAuthentication | UpgradeRefusal> {
  const verified = await verifyDesktopToken(deps, token);
  return isRefusal(verified) ? verified : authorizeDesktopToken(deps, grants, verified);
}

/** Like the core's requireAuth, but also accepts a desktop token (grant checked); sets `res.locals.auth`. */
export function requireApiOrDesktopAuth(deps: AuthDeps, grants: DesktopGrantStore): RequestHandler {
  const apiAuth = requireAuth(deps, { audience: 'api' });
  const desktopAudience = deps.tokens.audienceValue('desktop');
  return async (req, res, next) => {
    const token = bearerToken(req.headers.authorization);
    if (!token || !hasAudience(token, desktopAudience)) {
      await apiAuth(req, res, next);
      return;
    }
    const result = await authenticateDesktopToken(deps, grants, token);
    if (isRefusal(result)) throw new HttpError(result.status, result.reason, result.message);
    const auth: AuthContext = { user: result.user, claims: result.claims };
    res.locals.auth = auth;
    next();
  };
}

/** Routing only (the token is verified afterwards): does the unverified payload name this audience? */
function hasAudience(token: string, audience: string): boolean {
  try {
    const { aud } = decodeJwt(token);
    return aud === audience || (Array.isArray(aud) && aud.includes(audience));
  } catch {
    return false;
  }
}
