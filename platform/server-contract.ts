/**
 * The runtime contract between the server and everything that runs it.
 *
 * The server reads its defaults from here and the manifests (k8s/) and the load balancer settings read the same
 * numbers, so a probe path, a port or a shutdown timing cannot disagree between the two sides.
 */
export const serverContract = {
  /** HTTP API and the WebSocket endpoint share this port. */
  httpPort: 4000,
  /** Prometheus metrics; never exposed through the Ingress. */
  metricsPort: 9464,
  paths: {
    liveness: '/health',
    readiness: '/ready',
    metrics: '/metrics',
    desktopSocket: '/ws/desktop',
  },
  /** Server sends a ping this often; must stay well below the load balancer's idle timeout. */
  heartbeatMs: 25_000,
  /** In-flight HTTP requests get this long to finish after SIGTERM. */
  shutdownGraceMs: 15_000,
  /** Whatever is still open at this point is destroyed and the process exits. */
  shutdownForceMs: 30_000,
  /**
   * Node's keep-alive timeout must exceed the load balancer's idle timeout, otherwise the server may close a socket
   * the ALB is about to reuse and the client sees a 502.
   */
  keepAliveTimeoutMs: 125_000,
  /** ALB idle timeout (seconds): above the heartbeat so idle WebSockets are never cut by the load balancer. */
  loadBalancerIdleTimeoutSeconds: 120,
  /**
   * The pod sleeps this long in preStop before SIGTERM reaches the server, so the ALB and kube-proxy stop routing to
   * it before it stops accepting.
   */
  preStopSleepSeconds: 10,
  /** The container image: the Dockerfile builds this layout and the manifests run these commands in it. */
  image: {
    workdir: '/app',
    /** Numeric non-root user (the `node` user of the official Node images). */
    uid: 1000,
    gid: 1000,
    serverCommand: ['node', 'dist/server/src/main.js'],
    migrateCommand: ['node', 'dist/server/src/cli/migrate.js'],
  },
} as const;

export type ServerContract = typeof serverContract;
