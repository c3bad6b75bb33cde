/** HTTP side of the desktop channel, mounted under /api: PKCE login and event publishing. */
import express, { type Router } from 'express';
import { z } from 'zod';
import { authOf, clientAddressKey, requireAuth, Throttle, tooManyRequests } from '../auth/index.js';
import type { BackendDeps } from '../deps.js';
import { HttpError } from '../http/errors.js';
import { parseRequest } from '../http/validate.js';
import { requireApiOrDesktopAuth } from './auth.js';
import type { EventFanout } from './events/fanout.js';
import type { DesktopEventStore } from './events/store.js';
import type { DesktopGrantStore } from './login/grants.js';
import { isCodeVerifier, isLoopbackRedirect, isS256Challenge } from './login/pkce.js';
import type { DesktopMetrics } from './metrics.js';

export interface DesktopRouteDeps {
  readonly backend: BackendDeps;
  readonly grants: DesktopGrantStore;
  readonly store: DesktopEventStore;
  readonly fanout: EventFanout;
  readonly metrics: DesktopMetrics;
  /** Closes the live sockets of a revoked grant on this replica (others notice in their session check). */
  readonly onGrantRevoked: (grantId: number) => void;
}

const authcodeRequest = z.object({
  code_challenge: z.string().refine(isS256Challenge, 'must be the base64url SHA-256 of the code verifier (43 chars)'),
  code_challenge_method: z.literal('S256', { error: 'must be S256 (plain is not accepted)' }),
  redirect_uri: z
    .string()
    .max(512)
    .refine(isLoopbackRedirect, 'must be http://127.0.0.1:<port>/... or http://[::1]:<port>/...'),
});

const tokenRequest = z.object({
  code: z.string().min(1).max(256),
  code_verifier: z.string().refine(isCodeVerifier, 'must be 43-128 characters of A-Z a-z 0-9 - . _ ~'),
  redirect_uri: z.string().min(1).max(512),
});

const eventRequest = z.object({
  topic: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/, 'must be 1-128 letters, digits or . _ : / -, starting alphanumeric'),
  data: z.json(),
  userId: z.number().int().positive().optional(),
});

const invalidGrant = () => new HttpError(400, 'invalid_grant', 'The code is invalid, expired or already used');

export function desktopRouter(deps: DesktopRouteDeps): Router {
  const { backend, grants, store, fanout, metrics } = deps;
  const { config } = backend;
  const router = express.Router();
  const redemptionThrottle = new Throttle(backend.pool, {
    scope: 'desktop-token-ip',
    limit: config.auth.loginThrottle.maxPerIp,
    windowSeconds: config.auth.loginThrottle.windowSeconds,
  });
  // Each event is stored for DESKTOP_EVENT_RETENTION_HOURS: an unbounded producer would fill the database.
  const eventThrottle = new Throttle(backend.pool, {
    scope: 'desktop-events-user',
    limit: config.desktop.maxEventsPerMinute,
    windowSeconds: 60,
  });

  router.post('/desktop/authcode', requireAuth(backend, { audience: 'api' }), async (req, res) => {
    const body = parseRequest(authcodeRequest, req.body);
    const { user } = authOf(res);
    const ttl = config.desktop.authCodeTtlSeconds;
    const code = await grants.createCode(user.id, body.code_challenge, body.redirect_uri, ttl);
    res.set('Cache-Control', 'no-store').json({ code, expires_in: ttl });
  });

  router.post('/desktop/token', async (req, res) => {
    res.set('Cache-Control', 'no-store');
    const throttled = await redemptionThrottle.hit(clientAddressKey(req.ip));
    if (!throttled.allowed) {
      metrics.codeRedemptions.inc({ result: 'throttled' });
      throw tooManyRequests(throttled);
    }
    let body: z.output<typeof tokenRequest>;
    try {
      body = parseRequest(tokenRequest, req.body);
    } catch (error) {
      metrics.codeRedemptions.inc({ result: 'invalid_request' });
      throw error;
    }
    const redemption = await grants.redeem(body.code, body.code_verifier, body.redirect_uri);
    if (!redemption.ok) {
      if (redemption.revokedGrantId !== undefined) {
        deps.onGrantRevoked(redemption.revokedGrantId);
        backend.logger.warn({ grantId: redemption.revokedGrantId }, 'desktop code replayed: grant revoked');
      }
      metrics.codeRedemptions.inc({ result: redemption.revokedGrantId === undefined ? 'invalid_grant' : 'replayed' });
      throw invalidGrant();
    }
    const user = await backend.users.findById(redemption.userId);
    if (!user || user.disabled) {
      metrics.codeRedemptions.inc({ result: 'invalid_grant' });
      throw invalidGrant();
    }
    const issued = await backend.tokens.issue({
      user: { id: user.id, username: user.username, role: user.role, tokenVersion: user.tokenVersion },
      audience: 'desktop',
      expiresInSeconds: config.desktop.tokenExpiresInSeconds,
      jti: String(redemption.grantId),
    });
    metrics.codeRedemptions.inc({ result: 'success' });
    res.json({ access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn });
  });

  router.post('/desktop/events', requireApiOrDesktopAuth(backend, grants), async (req, res) => {
    const body = parseRequest(eventRequest, req.body);
    const { user } = authOf(res);
    const throttled = await eventThrottle.hit(String(user.id));
    if (!throttled.allowed) {
      throw new HttpError(429, 'too_many_requests', 'Too many events; try again later', {
        headers: { 'Retry-After': String(throttled.retryAfterSeconds) },
      });
    }
    const userId = body.userId ?? user.id;
    if (userId !== user.id) {
      if (user.role !== 'admin') throw new HttpError(403, 'forbidden', 'Only admins may send events to other users');
      if (!(await backend.users.findById(userId))) throw new HttpError(404, 'not_found', 'No such user');
    }
    // The parsed body's own `data`, not zod's copy: rebuilding an object by assignment turns a `__proto__` key into a
    // prototype, so the stored event would silently lose it. z.json() has already checked that it is plain JSON.
    const event = await store.append(userId, body.topic, (req.body as { data: unknown }).data);
    fanout.published(userId);
    res.status(201).json({ seq: event.seq });
  });

  return router;
}
