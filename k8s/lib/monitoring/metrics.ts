import { serverMetricNames } from '../../../platform/metric-names.js';

/** Metric names the alerts and the dashboard read: the server's own (platform/metric-names.ts) and kube-state-metrics. */
export const metricNames = {
  ...serverMetricNames,
  /** kube-state-metrics (kube-prometheus-stack). */
  /** Gauge labelled pod and condition (true/false/unknown): the pod's Ready condition, readiness gates included. */
  podReady: 'kube_pod_status_ready',
  /** Info gauge labelled pod, owner_kind and owner_name: which ReplicaSet or Job created a pod. */
  podOwner: 'kube_pod_owner',
  containerRestarts: 'kube_pod_container_status_restarts_total',
} as const;

/**
 * Close codes of an orderly end: 1000 normal, 1001 going away (server shutdown during a rollout, client leaving), 1005
 * a close frame without a status code, which is what the server records when a client calls `close()` with no code
 * (browsers and most WebSocket libraries by default). 1006 (no close frame at all) is the real drop.
 */
export const orderlyCloseCodes = ['1000', '1001', '1005'] as const;
