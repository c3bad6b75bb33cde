import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import cors from 'cors';
import express, { type Express } from 'express';
import { serverContract } from '../../platform/server-contract.js';
import { authRouter, TokenService, UserRepository } from './auth/index.js';
import { PasswordWorkerPool } from './auth/password-pool.js';
import { createReplicaBus } from './replicas/index.js';
import type { Channel, ChannelFactory } from './channels.js';
import type { Config } from './config/index.js';
import { createPool, DatabaseProbe, registerDatabaseMetrics, type DatabaseMetrics } from './db/index.js';
import type { BackendDeps } from './deps.js';
import {
  answerProtocolErrorsAsJson,
  answerUnparsableTarget,
  errorBody,
  errorHandler,
  installRequestLog,
  INVALID_TARGET,
  limitJsonDepth,
  notFoundHandler,
  refuseDeclaredOversize,
  refuseOptions,
  refuseOversizeBeforeContinue,
  rejectUpgrade,
  requestFront,
  requestLogger,
  requireHost,
  requireUtf8Json,
  UPGRADE_URL_BASE,
} from './http/index.js';
import { Lifecycle, stopAccepting } from './lifecycle/index.js';
import { createLogger, type Logger } from './log/index.js';
import { createMetrics, createMetricsServer, httpMetricsMiddleware, labelMount } from './metrics/index.js';

export interface Backend {
  deps: BackendDeps;
  /** The API (and WebSocket) server; its 'upgrade' events go to the channels. */
  httpServer: Server;
  /** The Express app, e.g. for supertest. */
  app: Express;
  /** Starts both listeners (port 0 picks a free one) and logs the startup lines. */
  listen(): Promise<{ port: number; metricsPort: number }>;
  /** The shutdown sequence (docs/server.md, "Start and shutdown"); idempotent. */
  shutdown(reason: string): Promise<void>;
}

export interface BackendOptions {
  channels?: ChannelFactory[];
  logger?: Logger;
}

interface Probes {
  database: DatabaseProbe;
  databaseMetrics: DatabaseMetrics;
  /** True once `listen` finished starting everything. */
  started(): boolean;
}

const LIVE_BODY = JSON.stringify({ status: 'ok' });

function createApp(
  deps: BackendDeps,
  metrics: ReturnType<typeof createMetrics>,
  channels: Channel[],
  probes: Probes,
): Express {
  const { config, lifecycle } = deps;
  const { paths } = serverContract;
  const app = express();
  app.disable('x-powered-by');
  // Answers are per caller (and tokens are no-store): an ETag would cost a SHA-1 of every body for no cache's benefit.
  app.set('etag', false);
  app.set('trust proxy', config.http.trustProxyHops);
  installRequestLog(app, deps.logger);
  app.use(requestFront({ securityHeaders: config.http.useHelmet, isDraining: () => lifecycle.isDraining() }));
  app.use(requireHost);

  // Probes come before the API's middleware: they are hit all the time and need none of it (no body, no CORS, and
  // no log line or histogram sample per probe).
  app.get(paths.liveness, (_req, res) => {
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.end(LIVE_BODY);
  });
  // The probe: fails only while starting or draining. A database outage is shared by every pod, so failing here would
  // take the whole fleet out of the ALB; a fault of this pod alone that needs a restart is liveness's business.
  app.get(paths.readiness, (_req, res) => {
    if (lifecycle.isDraining()) {
      res.status(503).json(errorBody('draining', 'The server is shutting down'));
      return;
    }
    if (!probes.started()) {
      res.status(503).json(errorBody('starting', 'The server is starting'));
      return;
    }
    res.json({ status: 'serving' });
  });
  // The operator's question: can this process serve fully right now?
  app.get(paths.dependencies, async (_req, res) => {
    if (lifecycle.isDraining()) {
      res.status(503).json(errorBody('draining', 'The server is shutting down'));
      return;
    }
    if (!(await probes.database.ping(config.db.readyTimeoutMs))) {
      res.status(503).set('Retry-After', '5').json(errorBody('database_unavailable', 'The database does not answer'));
      return;
    }
    res.json({ status: 'ready' });
  });

  app.use(httpMetricsMiddleware(metrics));
  app.use(requestLogger(deps.logger, [paths.liveness, paths.readiness, paths.dependencies]));
  if (config.http.corsOrigins.length > 0) {
    const corsCheck = cors({ origin: config.http.corsOrigins, maxAge: 600 });
    // CORS work only for cross-origin callers; the rest only learn that the answer varies by Origin (for caches).
    app.use((req, res, next) => {
      if (req.headers.origin === undefined) {
        res.vary('Origin');
        next();
        return;
      }
      corsCheck(req, res, next);
    });
  }
  app.use(refuseOptions, refuseDeclaredOversize(config.http.bodyLimit), requireUtf8Json);
  app.use(express.json({ limit: config.http.bodyLimit }), limitJsonDepth());

  app.use('/api', labelMount('/api'), authRouter(deps, metrics));
  for (const channel of channels) {
    if (channel.router) app.use('/api', labelMount('/api'), channel.router);
  }
  app.use(notFoundHandler);
  app.use(
    errorHandler(deps.logger, {
      onDatabaseFailure: (reason) => {
        probes.databaseMetrics.failures.inc({ reason });
      },
    }),
  );
  return app;
}

function destroyOnError(this: Duplex): void {
  this.destroy();
}

async function listenOn(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** Builds a backend (nothing listens and no DB connection opens until `listen`). */
export function createBackend(config: Config, options: BackendOptions = {}): Promise<Backend> {
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const pool = createPool(config.db);
  const metrics = createMetrics(pool);
  const lifecycle = new Lifecycle();
  const passwords = new PasswordWorkerPool(config.auth.bcryptWorkers);
  const users = new UserRepository(pool, {
    bcryptRounds: config.auth.bcryptRounds,
    passwords,
    authCacheTtlMs: config.auth.userCacheTtlMs,
  });
  const replicas = createReplicaBus(config.redis.url, { logger, registry: metrics.registry, users });
  const deps: BackendDeps = {
    config,
    logger,
    pool,
    registry: metrics.registry,
    tokens: new TokenService(config.auth),
    users,
    lifecycle,
    replicas,
  };
  const channels = (options.channels ?? []).map((factory) => factory(deps));
  const readiness = new DatabaseProbe(config.db);
  const databaseMetrics = registerDatabaseMetrics(metrics.registry, () => readiness.ping(config.db.readyTimeoutMs));
  let started = false;
  const app = createApp(deps, metrics, channels, {
    database: readiness,
    databaseMetrics,
    started: () => started,
  });

  // Express's router skips every middleware, error handler included, for a request target it cannot parse (such as
  // `GET http://[::1 HTTP/1.1`) and hands it to this callback; without one its finalhandler answers a text/html 404.
  const route = app as unknown as (req: IncomingMessage, res: ServerResponse, done: () => void) => void;
  const httpServer = createServer((req, res) => {
    route(req, res, () => {
      answerUnparsableTarget(res);
    });
  });
  httpServer.keepAliveTimeout = config.http.keepAliveTimeoutMs;
  httpServer.headersTimeout = config.http.headersTimeoutMs;
  answerProtocolErrorsAsJson(httpServer);
  refuseOversizeBeforeContinue(httpServer, config.http.bodyLimit);
  httpServer.on('upgrade', (req, socket, head) => {
    // Node gives upgrade sockets no error listener: a client that resets while it is answered (404, 503, 500) or
    // admitted would otherwise crash the process with an unhandled ECONNRESET. A shared function, not an arrow made
    // here: the listener lives as long as the socket, and an arrow would keep this call's context (the upgrade
    // request with its headers, and `head`) alive with every open WebSocket.
    socket.on('error', destroyOnError);
    if (lifecycle.isDraining()) {
      rejectUpgrade(socket, 503, 'draining', 'The server is shutting down');
      return;
    }
    if (!URL.canParse(req.url ?? '/', UPGRADE_URL_BASE)) {
      rejectUpgrade(socket, 400, INVALID_TARGET.code, INVALID_TARGET.message);
      return;
    }
    try {
      if (channels.some((channel) => channel.handleUpgrade?.(req, socket, head) === true)) return;
      rejectUpgrade(socket, 404, 'not_found', 'No WebSocket endpoint here');
    } catch (error) {
      logger.error({ err: error }, 'upgrade handler failed');
      rejectUpgrade(socket, 500, 'internal_error', 'Internal server error');
    }
  });
  const metricsServer = createMetricsServer(metrics.registry);
  answerProtocolErrorsAsJson(metricsServer);

  let shuttingDown: Promise<void> | undefined;
  async function shutdown(reason: string): Promise<void> {
    lifecycle.startDraining();
    logger.info({ reason }, 'Draining: /serving and /ready answer 503, no new connections or upgrades');
    const api = stopAccepting(httpServer, logger);
    await Promise.all(channels.map((channel) => channel.drain?.() ?? Promise.resolve()));
    await api.finish(config.shutdown.graceMs);
    await Promise.all(channels.map((channel) => channel.close?.() ?? Promise.resolve()));
    await replicas?.close();
    await stopAccepting(metricsServer, logger).finish(0);
    await pool.end();
    await passwords.close();
    readiness.close();
    logger.info({ reason }, 'Shutdown complete');
  }

  return Promise.resolve({
    deps,
    httpServer,
    app,
    async listen() {
      if (config.http.useHelmet) logger.info('[security] Helmet enabled (USE_HELMET=true).');
      else logger.warn('[security] Helmet disabled (USE_HELMET=false).');
      if (!config.auth.required) {
        logger.warn(
          '[security] AUTH_REQUIRED=false: requests from this machine without a token act as the first enabled ' +
            'admin. For local development only; refused unless NODE_ENV is development or test.',
        );
      }
      if (config.http.corsOrigins.length > 0) {
        logger.info({ origins: config.http.corsOrigins }, '[security] CORS allowed origins set (CORS_ORIGINS).');
      }
      const metricsPort = await listenOn(metricsServer, config.metricsPort);
      logger.info({ metricsPort }, `Metrics HTTP server running on port ${metricsPort} (GET /metrics)`);
      const database = `${config.db.host}:${config.db.port}/${config.db.database}`;
      if (await readiness.ping(config.db.readyTimeoutMs)) logger.info(`Connected DB: ${database}`);
      else logger.warn(`DB not reachable yet: ${database}; /ready answers 503 until it is`);
      await deps.users.warmUp();
      await replicas?.start();
      const port = await listenOn(httpServer, config.port);
      for (const channel of channels) channel.listening?.({ port });
      started = true;
      logger.info({ port, metricsPort }, `API HTTP server running on port ${port}`);
      return { port, metricsPort };
    },
    shutdown(reason: string) {
      shuttingDown ??= shutdown(reason);
      return shuttingDown;
    },
  });
}
