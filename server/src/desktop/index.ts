/**
 * The desktop channel: PKCE desktop login, durable per-user events, and the /ws/desktop WebSocket on the API's own
 * HTTP server. Replicas share nothing but MySQL.
 */
import { serverContract } from '../../../platform/server-contract.js';
import type { Channel, ChannelFactory } from '../channels.js';
import type { BackendDeps } from '../deps.js';
import { authorizeDesktopToken, verifyDesktopToken } from './auth.js';
import { EventFanout } from './events/fanout.js';
import { DesktopEventStore } from './events/store.js';
import { DesktopGrantStore } from './login/grants.js';
import { createDesktopMetrics } from './metrics.js';
import { desktopRouter } from './routes.js';
import { DesktopSessionWatch } from './socket/session-watch.js';
import { DesktopSocketServer } from './socket/server.js';

const PRUNE_EVERY_MS = 10 * 60_000;
const ERROR_LOG_INTERVAL_MS = 10_000;
// A live client answers a close frame within milliseconds; the rest are cut so HTTP requests keep their grace period.
const DRAIN_CLOSE_WAIT_MS = 5000;

/** Grants outlive the tokens issued from them (a pruned grant would revoke its token) by a day. */
function grantRetentionDays(tokenExpiresInSeconds: number): number {
  return Math.ceil(tokenExpiresInSeconds / 86_400) + 1;
}

export const desktopChannel: ChannelFactory = (deps: BackendDeps): Channel => {
  const { config, logger, pool } = deps;
  const metrics = createDesktopMetrics(deps.registry);
  const store = new DesktopEventStore(pool);
  const grants = new DesktopGrantStore(pool);
  // While the database is down every poll fails: log the first failure and then at most one line per interval.
  let lastDeliveryErrorLog = 0;
  let deliveryErrors = 0;
  const fanout = new EventFanout(store, {
    pollMs: config.desktop.eventPollMs,
    replicas: deps.replicas,
    onError: (error) => {
      deliveryErrors += 1;
      if (Date.now() - lastDeliveryErrorLog < ERROR_LOG_INTERVAL_MS) return;
      logger.error({ err: error, failures: deliveryErrors }, 'desktop event delivery failed; retrying at each poll');
      lastDeliveryErrorLog = Date.now();
      deliveryErrors = 0;
    },
  });
  const { desktop } = config;
  const sockets = new DesktopSocketServer({
    logger,
    metrics,
    store,
    fanout,
    heartbeatMs: desktop.heartbeatMs,
    maxPayloadBytes: desktop.maxPayloadBytes,
    maxMessagesPer10s: desktop.maxMessagesPer10s,
    maxBufferedBytes: desktop.maxBufferedBytes,
    maxResumesPerMinute: desktop.maxResumesPerMinute,
    maxReplayEvents: desktop.maxReplayEvents,
    maxReplaysPerUserPerMinute: desktop.maxReplaysPerUserPerMinute,
    maxSockets: desktop.maxSockets,
    maxSocketsPerAddress: desktop.maxSocketsPerAddress,
    maxSocketsPerUser: desktop.maxSocketsPerUser,
    corsOrigins: config.http.corsOrigins,
    trustedProxyHops: config.http.trustProxyHops,
    isDraining: () => deps.lifecycle.isDraining(),
    verify: (token) => verifyDesktopToken(deps, token),
    authorize: (token) => authorizeDesktopToken(deps, grants, token),
  });
  const watch = new DesktopSessionWatch({
    sockets,
    grants,
    users: deps.users,
    logger,
    pollMs: config.desktop.eventPollMs,
  });
  const router = desktopRouter({
    backend: deps,
    grants,
    store,
    fanout,
    metrics,
    onGrantRevoked: (grantId) => {
      watch.grantRevoked(grantId);
    },
  });

  const prune = async () => {
    const events = await store.prune(config.desktop.eventRetentionHours);
    const codes = await grants.prune(grantRetentionDays(config.desktop.tokenExpiresInSeconds));
    if (events + codes > 0) logger.info({ events, codes }, 'pruned old desktop events and codes');
  };
  const pruneTimer = setInterval(() => {
    prune().catch((error: unknown) => {
      logger.warn({ err: error }, 'desktop pruning failed');
    });
  }, PRUNE_EVERY_MS);
  pruneTimer.unref();

  fanout.start();
  watch.start();

  return {
    name: 'desktop',
    router,
    handleUpgrade: (req, socket, head) => sockets.handleUpgrade(req, socket, head),
    listening: ({ port }) => {
      logger.info(`WebSocket started on endpoint: ws://localhost:${port}${serverContract.paths.desktopSocket}`);
    },
    drain: () => sockets.drain(Math.min(config.shutdown.graceMs, DRAIN_CLOSE_WAIT_MS)),
    close: async () => {
      clearInterval(pruneTimer);
      await watch.stop();
      await fanout.stop();
      await sockets.close();
    },
  };
};
