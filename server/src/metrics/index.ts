import { createServer, type Server } from 'node:http';
import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { serverContract } from '../../../platform/server-contract.js';
import { poolStats, type Pool } from '../db/index.js';

export type LoginResult = 'success' | 'invalid_credentials' | 'invalid_request' | 'throttled';

export interface HttpMetrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  loginAttempts: Counter<'result'>;
}

/** Label for requests no route matched, so scanners cannot blow up the label set with raw paths. */
export const UNMATCHED_ROUTE = '(unmatched)';

/** A registry per backend (tests run several in one process): process defaults, HTTP, login and pool figures. */
export function createMetrics(pool: Pool): HttpMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const loginAttempts = new Counter({
    name: 'auth_login_attempts_total',
    help: 'Login attempts by result',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  for (const result of ['success', 'invalid_credentials', 'invalid_request', 'throttled'] as const) {
    loginAttempts.inc({ result }, 0);
  }
  const poolGauge = (name: string, help: string, read: (stats: ReturnType<typeof poolStats>) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read(poolStats(pool)));
      },
    });
  poolGauge('db_pool_connections_open', 'Open connections in the DB pool, busy or idle', (stats) => stats.open);
  poolGauge('db_pool_connections_idle', 'Idle connections in the DB pool', (stats) => stats.idle);
  poolGauge('db_pool_waiting_requests', 'Callers waiting for a DB pool connection', (stats) => stats.waiting);
  poolGauge('db_pool_connections_max', 'Configured DB pool size', (stats) => stats.limit);
  return { registry, httpDuration, loginAttempts };
}

/**
 * Times every request; the route label is the matched template (`/api/users/:id/disable`), never the raw path.
 * Express restores `req.baseUrl` when an error leaves a router, so routers are mounted behind `rememberMountPath`.
 */
export function httpMetricsMiddleware(metrics: HttpMetrics): RequestHandler {
  return (req, res, next) => {
    const stop = metrics.httpDuration.startTimer();
    res.once('finish', () => {
      const route = req.route as { path?: unknown } | undefined;
      const mountPath = typeof res.locals.mountPath === 'string' ? res.locals.mountPath : '';
      const template = typeof route?.path === 'string' ? `${mountPath}${route.path}` : UNMATCHED_ROUTE;
      stop({ method: req.method, route: template, status: String(res.statusCode) });
    });
    next();
  };
}

/** Put in front of a mounted router: `app.use('/api', rememberMountPath, router)`. */
export const rememberMountPath: RequestHandler = (req, res, next) => {
  res.locals.mountPath = req.baseUrl;
  next();
};

/** GET /metrics on its own port (never through the Ingress); everything else is 404. */
export function createMetricsServer(registry: Registry): Server {
  return createServer((req, res) => {
    if (req.method === 'GET' && req.url?.split('?')[0] === serverContract.paths.metrics) {
      registry.metrics().then(
        (body) => {
          res.writeHead(200, { 'Content-Type': registry.contentType }).end(body);
        },
        () => {
          res.writeHead(500, { 'Content-Type': 'application/json' }).end('{"error":{"code":"internal_error"}}');
        },
      );
      return;
    }
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'not_found', message: 'Only GET /metrics is served here' } }));
  });
}
