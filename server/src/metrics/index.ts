import { createServer, type Server, type ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { serverMetricNames } from '../../../platform/metric-names.js';
import { serverContract } from '../../../platform/server-contract.js';
import { poolStats, type Pool } from '../db/index.js';
import { errorBody } from '../http/errors.js';

export interface HttpMetrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  /** Requests whose headers arrived and whose response has not ended yet. */
  httpInFlight: Gauge;
  loginAttempts: Counter<'result'>;
}

/** Label for requests no route matched, so scanners cannot blow up the label set with raw paths. */
export const UNMATCHED_ROUTE = '(unmatched)';

/** A registry per backend (tests run several in one process): process defaults, HTTP, login and pool figures. */
export function createMetrics(pool: Pool): HttpMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpDuration = new Histogram({
    name: serverMetricNames.httpRequestDuration,
    help: 'HTTP request duration by method, route template and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const httpInFlight = new Gauge({
    name: serverMetricNames.httpRequestsInFlight,
    help: 'HTTP requests received and not yet answered',
    registers: [registry],
  });
  const loginAttempts = new Counter({
    name: serverMetricNames.loginAttempts,
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
  poolGauge(
    serverMetricNames.dbPoolConnectionsOpen,
    'Open connections in the DB pool, busy or idle',
    (stats) => stats.open,
  );
  poolGauge(serverMetricNames.dbPoolConnectionsIdle, 'Idle connections in the DB pool', (stats) => stats.idle);
  poolGauge(
    serverMetricNames.dbPoolWaitingRequests,
    'Callers waiting for a DB pool connection',
    (stats) => stats.waiting,
  );
  poolGauge(serverMetricNames.dbPoolConnectionsMax, 'Configured DB pool size', (stats) => stats.limit);
  return { registry, httpDuration, httpInFlight, loginAttempts };
}

/**
 * Times every request. The route label is the matched template (`/api/users/:id/disable`) behind the fixed mount path
 * given to `labelMount`; never anything the client wrote (Express matches paths case-insensitively, so `GET /API/me`
 * reaches `/me` under `/api` with `req.baseUrl` = `/API`). Requests no route matched share UNMATCHED_ROUTE.
 */
export function httpMetricsMiddleware(metrics: HttpMetrics): RequestHandler {
  // One observer per label set seen, so a request costs a map lookup instead of prom-client hashing the labels.
  const observers = new Map<string, { observe(seconds: number): void }>();
  const observerFor = (method: string, route: string, status: number) => {
    const key = `${method} ${status} ${route}`;
    let observer = observers.get(key);
    if (!observer) {
      observer = metrics.httpDuration.labels({ method, route, status: String(status) });
      observers.set(key, observer);
    }
    return observer;
  };
  return (req, res, next) => {
    const started = performance.now();
    metrics.httpInFlight.inc();
    // 'close' follows 'finish' for a completed response and also comes alone when the client went away.
    res.once('close', () => {
      metrics.httpInFlight.dec();
      if (!res.writableFinished) return;
      observerFor(req.method, routeLabel(req.route, res.locals.mountPath), res.statusCode).observe(
        (performance.now() - started) / 1000,
      );
    });
    next();
  };
}

function routeLabel(route: unknown, mountPath: unknown): string {
  const path = (route as { path?: unknown } | undefined)?.path;
  if (typeof path !== 'string') return UNMATCHED_ROUTE;
  return typeof mountPath === 'string' ? `${mountPath}${path}` : path;
}

/**
 * Put in front of a mounted router, with the same path: `app.use('/api', labelMount('/api'), router)`. Express
 * restores `req.baseUrl` when an error leaves a router, and `req.baseUrl` is the client's spelling anyway.
 */
export function labelMount(mountPath: string): RequestHandler {
  return (_req, res, next) => {
    res.locals.mountPath = mountPath;
    next();
  };
}

/** GET /metrics on its own port (never through the Ingress); everything else is 404. */
export function createMetricsServer(registry: Registry): Server {
  const answer = (res: ServerResponse, status: number, code: string, message: string, headers = {}) => {
    res
      .writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers })
      .end(JSON.stringify(errorBody(code, message)));
  };
  return createServer((req, res) => {
    if (req.url?.split('?')[0] !== serverContract.paths.metrics) {
      answer(res, 404, 'not_found', 'Only GET /metrics is served here');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      answer(res, 405, 'method_not_allowed', 'Only GET /metrics is served here', { Allow: 'GET, HEAD' });
      return;
    }
    registry.metrics().then(
      (body) => {
        res.writeHead(200, { 'Content-Type': registry.contentType }).end(req.method === 'HEAD' ? undefined : body);
      },
      () => {
        answer(res, 500, 'internal_error', 'Internal server error');
      },
    );
  });
}
