import type { IComGithubPrometheusOperatorPrometheusOperatorPkgApisMonitoringV1RuleGroup as RuleGroup } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/RuleGroup';
import { metricNames, orderlyCloseCodes } from './metrics.js';
import type { AlertThresholds, MonitoringProps } from './monitoring-props.js';

export const defaultThresholds: AlertThresholds = {
  errorRatio: 0.05,
  p99LatencySeconds: 1,
  restarts: 3,
  wsDropRatio: 0.1,
  unavailableRatio: 0.5,
  eventLagP99Seconds: 2,
};

export const alertNames = {
  errorRatio: 'DesktopBackendHighErrorRatio',
  latency: 'DesktopBackendHighLatency',
  notReady: 'DesktopBackendPodsNotReady',
  databaseUnavailable: 'DesktopBackendDatabaseUnavailable',
  restarts: 'DesktopBackendRestarting',
  wsDrops: 'DesktopBackendWebSocketDropSpike',
  eventLag: 'DesktopBackendEventDeliveryLag',
} as const;

/** The alert rules of one environment, scoped to its namespace and the Service's scrape job. */
export function alertRuleGroups(props: MonitoringProps): RuleGroup[] {
  const t = { ...defaultThresholds, ...props.thresholds };
  // ServiceMonitor targets get job=<Service name> and namespace=<namespace>.
  const app = `namespace="${props.namespace}", job="${props.workloadName}"`;
  const ksm = `namespace="${props.namespace}"`;
  const http = metricNames.httpRequestDuration;
  const p99 = (histogram: string) => `histogram_quantile(0.99, sum by (le) (rate(${histogram}_bucket{${app}}[5m])))`;

  const alert = (name: string, expr: string, forDuration: string, severity: string, summary: string) => ({
    alert: name,
    expr,
    for: forDuration,
    labels: { severity, service: props.workloadName, environment: props.environmentName },
    annotations: {
      summary,
      description: `${summary} (namespace ${props.namespace}).`,
      runbook_url: `${props.runbookUrl}#${name.toLowerCase()}`,
    },
  });

  return [
    {
      name: `${props.name}.alerts`,
      rules: [
        alert(
          alertNames.errorRatio,
          `sum(rate(${http}_count{${app}, status=~"5.."}[5m])) / sum(rate(${http}_count{${app}}[5m])) > ${t.errorRatio}`,
          '5m',
          'critical',
          `More than ${t.errorRatio * 100}% of HTTP responses are 5xx`,
        ),
        alert(
          alertNames.latency,
          `${p99(http)} > ${t.p99LatencySeconds}`,
          '10m',
          'warning',
          `HTTP p99 latency is above ${t.p99LatencySeconds}s`,
        ),
        // Ready = the readiness probe (starting or draining only) and the ALB readiness gates pass. Pods of the
        // Rollout's ReplicaSets, stable and canary; a rollout step makes this positive only briefly.
        alert(
          alertNames.notReady,
          `sum(${metricNames.podReady}{${ksm}, condition="false"} * on (namespace, pod) group_left () ` +
            `${metricNames.podOwner}{${ksm}, owner_kind="ReplicaSet", owner_name=~"${props.workloadName}-[a-z0-9]+"}) > 0`,
          '10m',
          'warning',
          'Server pods are failing readiness',
        ),
        // The readiness alert of the operator's /ready. The probe deliberately ignores the shared database (pods stay
        // in the ALB during an outage), so the outage shows here instead: every pod's db_up (the check /ready makes,
        // at scrape time) is 0, which needs no traffic at all, or most DB-bound requests answer 503.
        alert(
          alertNames.databaseUnavailable,
          `max(${metricNames.dbUp}{${app}}) == 0 or ` +
            `sum(rate(${http}_count{${app}, status="503"}[2m])) / sum(rate(${http}_count{${app}}[2m])) > ${t.unavailableRatio}`,
          '2m',
          'critical',
          `The database does not answer any server pod, or more than ${t.unavailableRatio * 100}% of HTTP responses are 503`,
        ),
        alert(
          alertNames.restarts,
          `sum by (pod) (increase(${metricNames.containerRestarts}{${ksm}, container="${props.containerName}"}[30m])) >= ${t.restarts}`,
          '0m',
          'warning',
          `A server container restarted ${t.restarts} or more times in 30 minutes`,
        ),
        alert(
          alertNames.wsDrops,
          `sum(increase(${metricNames.wsCloses}{${app}, code!~"${orderlyCloseCodes.join('|')}"}[5m])) / clamp_min(sum(${metricNames.wsConnectionsOpen}{${app}}), 10) > ${t.wsDropRatio}`,
          '5m',
          'warning',
          `More than ${t.wsDropRatio * 100}% of desktop WebSockets dropped abnormally in 5 minutes`,
        ),
        alert(
          alertNames.eventLag,
          `${p99(metricNames.eventDeliveryLag)} > ${t.eventLagP99Seconds}`,
          '10m',
          'warning',
          `Desktop event delivery p99 lag is above ${t.eventLagP99Seconds}s`,
        ),
      ],
    },
  ];
}
