import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import * as kplus from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { components, labelKeys } from '../labels.js';
import { syncWave, syncWaves } from '../sync-waves.js';
import { typedApiObject } from '../typed-object.js';
import { validate } from '../validation.js';
import { alertRuleGroups } from './alerts.js';
import { dashboardJson } from './dashboard.js';
import type { MonitoringProps } from './monitoring-props.js';

/** Refuses alert thresholds that could never fire (or always would) and scrape settings Prometheus rejects. */
function validateProps(id: string, props: MonitoringProps): void {
  const t = props.thresholds ?? {};
  validate(`Monitoring "${id}"`)
    .dnsLabel('name', props.name)
    .number('thresholds.errorRatio', t.errorRatio, 0, 1)
    .number('thresholds.p99LatencySeconds', t.p99LatencySeconds, 0)
    .integer('thresholds.restarts', t.restarts, 1)
    .number('thresholds.wsDropRatio', t.wsDropRatio, 0, 1)
    .number('thresholds.eventLagP99Seconds', t.eventLagP99Seconds, 0)
    .number('thresholds.unavailableRatio', t.unavailableRatio, 0, 1)
    .check(
      props.scrapeInterval === undefined || /^[1-9]\d*(s|m)$/.test(props.scrapeInterval),
      'scrapeInterval',
      `must be a Prometheus duration such as 30s (got "${props.scrapeInterval}")`,
    )
    .check(props.metricsPath.startsWith('/'), 'metricsPath', `must start with "/" (got "${props.metricsPath}")`)
    .check(
      Object.keys(props.serviceSelector).length > 0,
      'serviceSelector',
      'must not be empty (it would select every Service)',
    )
    .done();
}

/** ServiceMonitor for the metrics port, PrometheusRule with the service's alerts, Grafana dashboard ConfigMap. */
export class Monitoring extends Construct {
  constructor(scope: Construct, id: string, props: MonitoringProps) {
    validateProps(id, props);
    super(scope, id);
    const metadata = (name: string, extraLabels: Record<string, string>) => ({
      name,
      labels: { [labelKeys.component]: components.monitoring, ...extraLabels },
      annotations: syncWave(syncWaves.foundation),
    });

    typedApiObject(
      this,
      'service-monitor',
      new ServiceMonitor({
        metadata: metadata(props.name, props.prometheusSelectorLabels),
        spec: {
          selector: { matchLabels: props.serviceSelector },
          namespaceSelector: { matchNames: [props.namespace] },
          ...(props.podTargetLabels ? { podTargetLabels: [...props.podTargetLabels] } : {}),
          endpoints: [
            {
              port: props.metricsPortName,
              path: props.metricsPath,
              interval: props.scrapeInterval ?? '30s',
              scrapeTimeout: '10s',
            },
          ],
        },
      }),
    );

    typedApiObject(
      this,
      'prometheus-rule',
      new PrometheusRule({
        metadata: metadata(props.name, props.prometheusSelectorLabels),
        spec: { groups: alertRuleGroups(props) },
      }),
    );

    new kplus.ConfigMap(this, 'dashboard', {
      metadata: metadata(`${props.name}-dashboard`, props.grafanaDashboardLabels),
      data: {
        [`${props.name}.json`]: dashboardJson({
          uid: props.name,
          title: `Desktop backend (${props.environmentName})`,
          namespace: props.namespace,
          job: props.workloadName,
        }),
      },
    });
  }
}
