import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import * as kplus from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { components, labelKeys } from '../labels.js';
import { syncWave, syncWaves } from '../sync-waves.js';
import { typedApiObject } from '../typed-object.js';
import { alertRuleGroups } from './alerts.js';
import { dashboardJson } from './dashboard.js';
import type { MonitoringProps } from './props.js';

/** ServiceMonitor for the metrics port, PrometheusRule with the service's alerts, Grafana dashboard ConfigMap. */
export class Monitoring extends Construct {
  constructor(scope: Construct, id: string, props: MonitoringProps) {
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
          job: props.deploymentName,
        }),
      },
    });
  }
}
