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
    /** Liveness and the ALB health check: 200 while the process can serve; never touches the database. */
    liveness: '/health',
    /**
     * The Kubernetes readiness probe: 503 only while the process starts or drains. A database outage does not fail it
     * (the database is shared by every pod: failing readiness would empty the ALB target group at once).
     */
    readiness: '/serving',
    /**
     * For operators and smoke tests: 200 when the database answers and the process is not draining, else 503 naming
     * why (`database_unavailable`, `draining`). Never used as a probe.
     */
    dependencies: '/ready',
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
    /** Creates the application and migration DB users with the master credentials (see docs/server.md). */
    provisionDatabaseUsersCommand: ['node', 'dist/server/src/cli/provision-db-users.js'],
  },
} as const;

export type ServerContract = typeof serverContract;
