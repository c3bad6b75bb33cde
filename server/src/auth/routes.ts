import { Router } from 'express';
import { z } from 'zod';
import type { BackendDeps } from '../deps.js';
import { HttpError } from '../http/errors.js';
import { parseRequest } from '../http/validate.js';
import type { HttpMetrics } from '../metrics/index.js';
import { authOf, requireAuth, requireRole } from './middleware.js';
import { clientAddressKey, Throttle, tooManyRequests } from './throttle.js';
import type { User } from './users.js';

const loginBody = z.object({
  username: z.string().min(1).max(256),
  // Bounded so a huge password cannot make bcrypt or hashing expensive; anything over 72 bytes fails anyway.
  password: z.string().min(1).max(1024),
});

const createUserBody = z.object({
  username: z.string(),
  password: z.string(),
  // Checked with username and password in UserRepository.create, so one answer names every bad field.
  role: z.string().default('user'),
});

const userIdParams = z.object({
  id: z
    .string()
    .regex(/^[1-9]\d{0,9}$/, 'must be a user id')
    .transform(Number),
});

function publicUser(user: User) {
  return {
    id: user.id,
    username: user.username,
    role: user.role,
    disabled: user.disabled,
    createdAt: user.createdAt.toISOString(),
  };
}

/** POST /login, GET /me and the admin user endpoints; mounted at /api. */
export function authRouter(deps: BackendDeps, metrics: Pick<HttpMetrics, 'loginAttempts'>): Router {
  const { windowSeconds, maxPerAccount, maxPerIp } = deps.config.auth.loginThrottle;
  const perAccount = new Throttle(deps.pool, { scope: 'login-account', limit: maxPerAccount, windowSeconds });
  const perIp = new Throttle(deps.pool, { scope: 'login-ip', limit: maxPerIp, windowSeconds });
  const router = Router();

  router.post('/login', async (req, res) => {
    let credentials: z.output<typeof loginBody>;
    try {
      credentials = parseRequest(loginBody, req.body);
    } catch (error) {
      metrics.loginAttempts.inc({ result: 'invalid_request' });
      throw error;
    }
    const account = credentials.username.trim().toLowerCase();
    const [accountHit, ipHit] = await Promise.all([perAccount.hit(account), perIp.hit(clientAddressKey(req.ip))]);
    if (!accountHit.allowed || !ipHit.allowed) {
      metrics.loginAttempts.inc({ result: 'throttled' });
      const refused = [accountHit, ipHit].filter((hit) => !hit.allowed);
      throw tooManyRequests({ retryAfterSeconds: Math.max(...refused.map((hit) => hit.retryAfterSeconds)) });
    }
    const user = await deps.users.verifyCredentials(credentials.username, credentials.password);
    if (!user) {
      metrics.loginAttempts.inc({ result: 'invalid_credentials' });
      throw new HttpError(401, 'invalid_credentials', 'Invalid username or password');
    }
    await perAccount.reset(account);
    const issued = await deps.tokens.issue({ user, audience: 'api' });
    metrics.loginAttempts.inc({ result: 'success' });
    req.log.info({ userId: user.id }, 'login succeeded');
    // A bearer token must not be kept by caches or proxies (RFC 6749, section 5.1).
    res.set('Cache-Control', 'no-store').json({
      token: issued.token,
      expiresIn: issued.expiresIn,
      user: { id: user.id, username: user.username, role: user.role },
    });
  });

  router.get('/me', requireAuth(deps), async (_req, res) => {
    // The user requireAuth just checked (the bounded per-replica cache), not a second query per request.
    const user = await deps.users.findForAuth(authOf(res).user.id);
    if (!user) throw new HttpError(401, 'invalid_token', 'The token has been revoked');
    res.json({ user: publicUser(user) });
  });

  const admin = [requireAuth(deps), requireRole('admin')];

  router.get('/users', ...admin, async (_req, res) => {
    res.json({ users: (await deps.users.list()).map(publicUser) });
  });

  router.post('/users', ...admin, async (req, res) => {
    const input = parseRequest(createUserBody, req.body);
    const user = await deps.users.create(input);
    req.log.info({ userId: user.id, role: user.role, by: authOf(res).user.id }, 'user created');
    res
      .status(201)
      .location(`/api/users/${user.id}`)
      .json({ user: publicUser(user) });
  });

  for (const [action, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    router.post(`/users/:id/${action}`, ...admin, async (req, res) => {
      const { id } = parseRequest(userIdParams, req.params);
      if (disabled && id === authOf(res).user.id) {
        throw new HttpError(409, 'cannot_disable_self', 'An admin cannot disable their own account');
      }
      const user = await deps.users.setDisabled(id, disabled);
      if (!user) throw new HttpError(404, 'user_not_found', `No user with id ${id}`);
      req.log.info({ userId: id, by: authOf(res).user.id }, `user ${action}d`);
      res.json({ user: publicUser(user) });
    });
  }

  return router;
}
