/**
 * Metric names the alerts and the dashboard read: what server/src/metrics and server/src/desktop/metrics.ts register
 * (a test reads them back from the server's registry), plus kube-state-metrics.
 */
export const metricNames = {
  /** Histogram labelled method, route (template) and status. */
  httpRequestDuration: 'http_request_duration_seconds',
  /** Gauge: WebSockets open on a replica. */
  wsConnectionsOpen: 'desktop_ws_open_connections',
  /** Counter labelled code: WebSocket closes by close code. */
  wsCloses: 'desktop_ws_closes_total',
  /** Histogram: time from an event's commit to its delivery on a socket. */
  eventDeliveryLag: 'desktop_event_delivery_lag_seconds',
  /** kube-state-metrics (kube-prometheus-stack). */
  deploymentUnavailableReplicas: 'kube_deployment_status_replicas_unavailable',
  containerRestarts: 'kube_pod_container_status_restarts_total',
} as const;

/**
 * Close codes of an orderly end: 1000 normal, 1001 going away (server shutdown during a rollout, client leaving), 1005
 * a close frame without a status code, which is what the server records when a client calls `close()` with no code
 * (browsers and most WebSocket libraries by default). 1006 (no close frame at all) is the real drop.
 */
export const orderlyCloseCodes = ['1000', '1001', '1005'] as const;
