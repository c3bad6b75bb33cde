/** What the canary must not exceed, measured on its own pods only. */
export interface CanaryThresholds {
  /** Highest share of 5xx among the canary's HTTP responses over the window. @default 0.02 */
  readonly maxErrorRatio: number;
  /** Highest p99 HTTP latency of the canary, in seconds. @default 1 */
  readonly maxP99LatencySeconds: number;
  /**
   * Highest share of the canary's WebSocket upgrades it refused for a reason of its own (an internal error, a limit,
   * draining). Refusals a client causes (no, bad or revoked token, wrong origin, malformed request) are the clients'
   * doing, not the release's, and do not count. @default 0.05
   */
  readonly maxUpgradeRefusalRatio: number;
}

export interface CanaryAnalysisProps {
  /** Name of the AnalysisTemplate the Rollout's analysis steps run. */
  readonly name: string;
  /** Namespace of the server: the `namespace` label of its series. */
  readonly namespace: string;
  /** Scrape job of the server's metrics (the Service the ServiceMonitor selects): the `job` label of its series. */
  readonly job: string;
  /** Prometheus HTTP API. @default kube-prometheus-stack's Prometheus in the monitoring namespace */
  readonly prometheusAddress?: string;
  /** Time between measurements, a Go duration. @default 1m */
  readonly interval?: string;
  /** Measurements per analysis step: the step lasts about count × interval. @default 5 */
  readonly count?: number;
  /** Failed measurements tolerated per metric; one more fails the analysis and aborts the rollout. @default 1 */
  readonly failureLimit?: number;
  /** Range of the rate() and increase() windows, a PromQL duration. @default 2m */
  readonly window?: string;
  /** @default see CanaryThresholds */
  readonly thresholds?: Partial<CanaryThresholds>;
}
