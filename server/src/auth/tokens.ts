import { createHmac, createSecretKey, randomUUID, timingSafeEqual, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
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
/** Verified tokens remembered per replica; the oldest is forgotten first. */
const VERIFIED_TOKENS_KEPT = 10_000;

/** Issues and verifies HS256 JWTs; the algorithm is pinned, so `alg: none` and asymmetric tricks are refused. */
export class TokenService {
  readonly #key: Uint8Array;
  readonly #hmacKey: KeyObject;
  readonly #config: AuthConfig;
  /**
   * Payloads whose signature was checked, keyed by the whole token: a client sends the same token on every request, so
   * the HMAC runs once per token and replica (Envoy's jwt_authn keeps such a cache too). Only a token that passed the
   * check gets in, so a forged one never matches; the claim checks (expiry included) still run on every use, and
   * revocation is the user's token version and the desktop grant, both checked after this.
   */
  readonly #verified = new Map<string, Record<string, unknown>>();

  constructor(config: AuthConfig) {
    this.#config = config;
    this.#key = new TextEncoder().encode(config.jwtSecret);
    this.#hmacKey = createSecretKey(this.#key);
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

  /** Verifies signature, algorithm, issuer, audience and expiry; rejects with InvalidTokenError otherwise. */
  verify(token: string, audience: Audience): Promise<TokenClaims> {
    try {
      return Promise.resolve(this.verifyNow(token, audience));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new InvalidTokenError('The token is not valid'));
    }
  }

  /**
   * The synchronous form of `verify`, for the per-request path: HMAC-SHA256 with node:crypto and a constant-time
   * compare, instead of an asynchronous WebCrypto job per request. It makes the checks `jose.jwtVerify` makes for a
   * compact HS256 JWS: alg pinned (so `none` and every other algorithm are refused), no `crit` extensions, iss, aud,
   * exp (expired when `exp <= now`), nbf and iat types, required claims.
   */
  verifyNow(token: string, audience: Audience): TokenClaims {
    const payload = this.#verifiedPayload(token);
    const now = Math.floor(Date.now() / 1000);
    for (const claim of ['exp', 'sub', 'iss', 'aud']) {
      if (payload[claim] === undefined) throw new InvalidTokenError('The token is not valid');
    }
    const expected = this.audienceValue(audience);
    const audOk = Array.isArray(payload.aud) ? payload.aud.includes(expected) : payload.aud === expected;
    if (payload.iss !== this.#config.jwtIssuer || !audOk) throw new InvalidTokenError('The token is not valid');
    if (typeof payload.exp !== 'number' || (payload.iat !== undefined && typeof payload.iat !== 'number')) {
      throw new InvalidTokenError('The token is not valid');
    }
    if (payload.nbf !== undefined && (typeof payload.nbf !== 'number' || payload.nbf > now)) {
      throw new InvalidTokenError('The token is not valid');
    }
    if (payload.exp <= now) {
      this.#verified.delete(token);
      throw new InvalidTokenError('The token has expired');
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

  /** The payload of a compact JWS whose header is exactly HS256 and whose signature matches; else throws. */
  #verifiedPayload(token: string): Record<string, unknown> {
    const known = this.#verified.get(token);
    if (known) return known;
    const payload = this.#checkSignature(token);
    if (this.#verified.size >= VERIFIED_TOKENS_KEPT) {
      this.#verified.delete(this.#verified.keys().next().value as string);
    }
    this.#verified.set(token, payload);
    return payload;
  }

  #checkSignature(token: string): Record<string, unknown> {
    const parts = token.split('.');
    if (parts.length !== 3 || !parts.every((part) => BASE64URL.test(part))) {
      throw new InvalidTokenError('The token is not valid');
    }
    const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
    const header = parseJsonObject(headerPart);
    if (!header || header.alg !== ALGORITHM || header.crit !== undefined) {
      throw new InvalidTokenError('The token is not valid');
    }
    const expected = createHmac('sha256', this.#hmacKey).update(`${headerPart}.${payloadPart}`).digest();
    const signature = Buffer.from(signaturePart, 'base64url');
    // Only the canonical spelling: a decoder ignores a last character's spare bits, so each signature has a few
    // spellings, and every one would be a separate entry in the verified-token memory.
    const canonical = signature.toString('base64url') === signaturePart;
    if (!canonical || signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
      throw new InvalidTokenError('The token is not valid');
    }
    const payload = parseJsonObject(payloadPart);
    if (!payload) throw new InvalidTokenError('The token is not valid');
    return payload;
  }
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** A base64url-encoded JSON object, or undefined for anything else. */
function parseJsonObject(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
