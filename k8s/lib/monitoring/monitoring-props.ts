import type { Labels } from '../labels.js';

export interface AlertThresholds {
  /** Share of 5xx among all HTTP responses over 5 minutes. @default 0.05 */
  readonly errorRatio: number;
  /** p99 HTTP latency in seconds. @default 1 */
  readonly p99LatencySeconds: number;
  /** Container restarts within 30 minutes. @default 3 */
  readonly restarts: number;
  /** Abnormal WebSocket closes over 5 minutes, as a share of open connections. @default 0.1 */
  readonly wsDropRatio: number;
  /** p99 event delivery lag in seconds. @default 2 */
  readonly eventLagP99Seconds: number;
  /** Share of 503 among all HTTP responses over 2 minutes that signals a database outage. @default 0.5 */
  readonly unavailableRatio: number;
}

export interface MonitoringProps {
  /** Name of the ServiceMonitor, PrometheusRule and dashboard ConfigMap (suffixed). */
  readonly name: string;
  /** Namespace of the service: the alerts and the dashboard are scoped to it. */
  readonly namespace: string;
  /** Environment name, put on every alert as the `environment` label. */
  readonly environmentName: string;
  /** Labels of the Service that exposes the metrics port. */
  readonly serviceSelector: Labels;
  /** Name of the Service port Prometheus scrapes. */
  readonly metricsPortName: string;
  /** HTTP path of the metrics endpoint. */
  readonly metricsPath: string;
  /**
   * The Rollout (its ReplicaSets are named `<workloadName>-<hash>`) and container the kube-state-metrics alerts
   * watch; also the Service the metrics are scraped through (the series' `job`).
   */
  readonly workloadName: string;
  readonly containerName: string;
  /** Labels the Prometheus instance selects ServiceMonitors and PrometheusRules by. */
  readonly prometheusSelectorLabels: Labels;
  /** Labels the Grafana sidecar loads dashboards by. */
  readonly grafanaDashboardLabels: Labels;
  /** Base URL of the runbook; each alert links to `#<alert name in lower case>`. */
  readonly runbookUrl: string;
  /** Alert thresholds; each one left out keeps its default. @default see AlertThresholds */
  readonly thresholds?: Partial<AlertThresholds>;
  /** @default 30s */
  readonly scrapeInterval?: string;
  /** Pod labels copied onto every scraped series. @default none */
  readonly podTargetLabels?: readonly string[];
}
