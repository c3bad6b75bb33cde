/**
 * The names of the metrics the server exports. The server registers them under these names and the alerts and the
 * dashboard in k8s/ query them, so a rename cannot leave an alert watching a series that no longer exists.
 */
export const serverMetricNames = {
  /** Histogram labelled method, route (template) and status. */
  httpRequestDuration: 'http_request_duration_seconds',
  /** Gauge: HTTP requests received and not yet answered. */
  httpRequestsInFlight: 'http_requests_in_flight',
  /** Counter labelled result. */
  loginAttempts: 'auth_login_attempts_total',
  dbPoolConnectionsOpen: 'db_pool_connections_open',
  dbPoolConnectionsIdle: 'db_pool_connections_idle',
  dbPoolWaitingRequests: 'db_pool_waiting_requests',
  dbPoolConnectionsMax: 'db_pool_connections_max',
  /** Gauge: 1 when the database answered a ping at scrape time, else 0 (the readiness probe ignores the database). */
  dbUp: 'db_up',
  /** Counter labelled reason (unavailable, busy): requests answered 503 because of the database. */
  dbRequestFailures: 'db_request_failures_total',
  /** Gauge: WebSockets open on a replica. */
  wsConnectionsOpen: 'desktop_ws_open_connections',
  /** Counter labelled code: WebSocket closes by close code. */
  wsCloses: 'desktop_ws_closes_total',
  /** Counter labelled type. */
  wsMessagesReceived: 'desktop_ws_messages_received_total',
  /** Counter labelled type. */
  wsMessagesSent: 'desktop_ws_messages_sent_total',
  /** Counter labelled reason: refused upgrades on /ws/desktop. */
  wsRejectedUpgrades: 'desktop_ws_rejected_upgrades_total',
  wsHeartbeatTerminations: 'desktop_ws_heartbeat_terminations_total',
  wsSlowConsumerDrops: 'desktop_ws_slow_consumer_drops_total',
  /** Histogram: time from an event's commit to its delivery on a socket. */
  eventDeliveryLag: 'desktop_event_delivery_lag_seconds',
  /** Counter labelled result. */
  codeRedemptions: 'desktop_code_redemptions_total',
  /** Counter labelled kind: wake-ups sent to the other replicas over Redis. */
  replicaWakeupsPublished: 'replica_wakeups_published_total',
  /** Counter labelled kind: wake-ups received from the other replicas. */
  replicaWakeupsReceived: 'replica_wakeups_received_total',
  /** Gauge: 1 while the Redis subscription is up (0: delivery across replicas runs at poll latency). */
  replicaBusUp: 'replica_bus_up',
} as const;
