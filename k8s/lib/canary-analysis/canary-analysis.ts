import { AnalysisTemplate } from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/AnalysisTemplate';
import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { components, labelKeys } from '../labels.js';
import { metricNames } from '../monitoring/metrics.js';
import { syncWave, syncWaves } from '../sync-waves.js';
import { typedApiObject } from '../typed-object.js';
import { validate } from '../validation.js';
import type { CanaryAnalysisProps, CanaryThresholds } from './canary-analysis-props.js';

export const defaultCanaryThresholds: CanaryThresholds = {
  maxErrorRatio: 0.02,
  maxP99LatencySeconds: 1,
  maxUpgradeRefusalRatio: 0.05,
};

/** The label kube-prometheus-stack puts on the server's series from the pod label Argo Rollouts sets per ReplicaSet. */
export const podTemplateHashLabel = {
  pod: 'rollouts-pod-template-hash',
  series: 'rollouts_pod_template_hash',
} as const;

/**
 * Upgrade refusals a client causes, every reason the server answers with 400, 401, 403 or 405
 * (server/src/desktop/socket, docs/desktop-protocol.md): a healthy release refuses them as often as the one before,
 * so they say nothing about the canary. Every other reason (500, 503, the per-replica 429 caps) counts against it,
 * including reasons added later.
 */
export const clientCausedRefusalReasons = [
  'bad_handshake',
  'missing_token',
  'invalid_token',
  'token_revoked',
  'token_in_query',
  'wrong_audience',
  'user_disabled',
  'origin',
  'bad_request',
  'client_gone',
] as const;

/** The argument the Rollout passes: the pod-template hash of the canary ReplicaSet. */
export const canaryHashArg = 'canary-hash';

/** What every analysis step of the Rollout passes to the template. */
export const canaryAnalysisArgs = [{ name: canaryHashArg, valueFrom: { podTemplateHashValue: 'Latest' as const } }];

export const defaultPrometheusAddress = 'http://kube-prometheus-stack-prometheus.monitoring.svc:9090';

function validateProps(id: string, props: CanaryAnalysisProps): void {
  const t = props.thresholds ?? {};
  const duration = /^[1-9]\d*(s|m|h)$/;
  validate(`CanaryAnalysis "${id}"`)
    .dnsLabel('name', props.name)
    .dnsLabel('namespace', props.namespace)
    .check(
      props.prometheusAddress === undefined || /^https?:\/\/\S+$/.test(props.prometheusAddress),
      'prometheusAddress',
      `must be an http(s) URL (got "${props.prometheusAddress}")`,
    )
    .check(props.interval === undefined || duration.test(props.interval), 'interval', 'must be a duration such as 1m')
    .check(props.window === undefined || duration.test(props.window), 'window', 'must be a duration such as 2m')
    .integer('count', props.count, 1, 60)
    .integer('failureLimit', props.failureLimit, 0, 10)
    .check(
      props.count === undefined || props.failureLimit === undefined || props.failureLimit < props.count,
      'failureLimit',
      'must be below count, or no analysis could ever fail',
    )
    .number('thresholds.maxErrorRatio', t.maxErrorRatio, 0, 1)
    .number('thresholds.maxP99LatencySeconds', t.maxP99LatencySeconds, 0)
    .number('thresholds.maxUpgradeRefusalRatio', t.maxUpgradeRefusalRatio, 0, 1)
    .done();
}

/**
 * The PromQL of each check, on the canary's own pods only (selected by the pod-template hash Argo Rollouts passes).
 * Each query answers one number and never NaN: no traffic yet reads as 0 (nothing went wrong), and the canary then
 * gets judged again at the next measurement.
 */
export function canaryQueries(props: Pick<CanaryAnalysisProps, 'namespace' | 'job' | 'window'>) {
  const window = props.window ?? '2m';
  const canary = `namespace="${props.namespace}", job="${props.job}", ${podTemplateHashLabel.series}="{{args.${canaryHashArg}}}"`;
  const http = metricNames.httpRequestDuration;
  const refused =
    `(sum(increase(${metricNames.wsRejectedUpgrades}{${canary}, reason!~"${clientCausedRefusalReasons.join('|')}"}` +
    `[${window}])) or vector(0))`;
  // Connections opened = connections closed + the change in open ones (there is no counter of accepted upgrades).
  const accepted =
    `((sum(increase(${metricNames.wsCloses}{${canary}}[${window}])) or vector(0))` +
    ` + (sum(delta(${metricNames.wsConnectionsOpen}{${canary}}[${window}])) or vector(0)))`;
  return {
    errorRatio:
      `(sum(rate(${http}_count{${canary}, status=~"5.."}[${window}]))` +
      ` / sum(rate(${http}_count{${canary}}[${window}])) >= 0) or vector(0)`,
    p99LatencySeconds: `(histogram_quantile(0.99, sum by (le) (rate(${http}_bucket{${canary}}[${window}]))) >= 0) or vector(0)`,
    upgradeRefusalRatio: `(${refused} / (${refused} + ${accepted}) >= 0) or vector(0)`,
  };
}

/**
 * An Argo Rollouts AnalysisTemplate that judges a canary by the server's own Prometheus metrics: its 5xx ratio, its
 * p99 latency and the share of WebSocket upgrades it refused for reasons of its own. A failed analysis aborts the Rollout:
 * Argo Rollouts sends all traffic back to the stable pods and scales the canary down, by itself.
 */
export class CanaryAnalysis extends Construct {
  readonly template: ApiObject;

  constructor(scope: Construct, id: string, props: CanaryAnalysisProps) {
    validateProps(id, props);
    super(scope, id);
    const t = { ...defaultCanaryThresholds, ...props.thresholds };
    const queries = canaryQueries(props);
    const address = props.prometheusAddress ?? defaultPrometheusAddress;
    const metric = (name: string, query: string, max: number) => ({
      name,
      interval: props.interval ?? '1m',
      count: props.count ?? 5,
      failureLimit: props.failureLimit ?? 1,
      // No sample (an empty vector) or no traffic (NaN) is inconclusive, never a verdict: Argo Rollouts errors on
      // result[0] of an empty result and compares NaN as false (argo-rollouts #1466, #977).
      successCondition: `len(result) > 0 && !isNaN(result[0]) && result[0] <= ${max}`,
      failureCondition: `len(result) > 0 && !isNaN(result[0]) && result[0] > ${max}`,
      provider: { prometheus: { address, query } },
    });

    this.template = typedApiObject(
      this,
      'template',
      new AnalysisTemplate({
        metadata: {
          name: props.name,
          labels: { [labelKeys.component]: components.server },
          annotations: syncWave(syncWaves.foundation),
        },
        spec: {
          args: [{ name: canaryHashArg }],
          metrics: [
            metric('error-ratio', queries.errorRatio, t.maxErrorRatio),
            metric('p99-latency', queries.p99LatencySeconds, t.maxP99LatencySeconds),
            metric('upgrade-refusal-ratio', queries.upgradeRefusalRatio, t.maxUpgradeRefusalRatio),
          ],
        },
      }),
    );
  }
}
