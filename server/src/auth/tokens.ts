import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import type { AuthConfig } from '../config/index.js';
import { HttpError } from '../http/errors.js';

export type Role = 'user' | 'admin';
export const ROLES: readonly Role[] = ['user', 'admin'];
export type Audience = 'api' | 'desktop';

export interface AuthUser {
  id: number;
  username: string;
  role: Role;
}

export interface TokenClaims {
  /** The user id, as a string (JWT convention). */
  sub: string;
  username: string;
  role: Role;
  jti?: string;
  /** The account's token version when issued; a token is valid only while it equals the stored one. */
  ver?: number;
  /** Expiry, seconds since the epoch. */
  exp: number;
  iat?: number;
  iss: string;
  aud: string | string[];
}

export interface IssuedToken {
  token: string;
  /** Lifetime in seconds. */
  expiresIn: number;
  expiresAt: Date;
}

/** 401 for a token that is missing, malformed, forged, expired or meant for someone else. */
export class InvalidTokenError extends HttpError {
  constructor(message: string, cause?: unknown) {
    super(401, 'invalid_token', message, { cause, headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } });
    this.name = 'InvalidTokenError';
  }
}

const ALGORITHM = 'HS256';

/** Issues and verifies HS256 JWTs; the algorithm is pinned, so `alg: none` and asymmetric tricks are refused. */
export class TokenService {
  readonly #key: Uint8Array;
  readonly #config: AuthConfig;

  constructor(config: AuthConfig) {
    this.#config = config;
    this.#key = new TextEncoder().encode(config.jwtSecret);
  }

  audienceValue(audience: Audience): string {
    return this.#config.audiences[audience];
  }

  async issue(request: {
    user: AuthUser & { tokenVersion: number };
    audience: Audience;
    expiresInSeconds?: number;
    jti?: string;
  }): Promise<IssuedToken> {
    const expiresIn = request.expiresInSeconds ?? this.#config.jwtExpiresInSeconds;
    const issuedAt = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({
      username: request.user.username,
      role: request.user.role,
      ver: request.user.tokenVersion,
    })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setIssuer(this.#config.jwtIssuer)
      .setAudience(this.audienceValue(request.audience))
      .setSubject(String(request.user.id))
      .setJti(request.jti ?? randomUUID())
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + expiresIn)
      .sign(this.#key);
    return { token, expiresIn, expiresAt: new Date((issuedAt + expiresIn) * 1000) };
  }

  /** Verifies signature, algorithm, issuer, audience and expiry; throws InvalidTokenError otherwise. */
  async verify(token: string, audience: Audience): Promise<TokenClaims> {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.#key, {
        algorithms: [ALGORITHM],
        issuer: this.#config.jwtIssuer,
        audience: this.audienceValue(audience),
        requiredClaims: ['exp', 'sub', 'iss', 'aud'],
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw new InvalidTokenError('The token has expired', error);
      throw new InvalidTokenError('The token is not valid', error);
    }
    const { sub, username, role, jti, ver, exp, iat, iss, aud } = payload;
    if (
      typeof sub !== 'string' ||
      !/^[1-9]\d{0,9}$/.test(sub) ||
      typeof username !== 'string' ||
      !ROLES.includes(role as Role) ||
      typeof exp !== 'number' ||
      typeof iss !== 'string' ||
      (jti !== undefined && typeof jti !== 'string') ||
      (ver !== undefined && !(Number.isSafeInteger(ver) && (ver as number) >= 0))
    ) {
      throw new InvalidTokenError('The token is not valid');
    }
    return {
      sub,
      username,
      role: role as Role,
      exp,
      iss,
      aud: aud as string | string[],
      ...(typeof jti === 'string' ? { jti } : {}),
      ...(typeof iat === 'number' ? { iat } : {}),
      ...(typeof ver === 'number' ? { ver } : {}),
    };
  }
}
