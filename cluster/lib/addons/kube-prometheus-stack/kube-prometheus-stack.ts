import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import { monitoring } from '../../../../platform/environments.js';
import { chartPins } from '../charts.js';
import { HelmAddon, type HelmChartPin } from '../helm-addon/index.js';

export interface KubePrometheusStackProps {
  readonly cluster: eks.ICluster;
  /** @default '15d' */
  readonly retention?: string;
  /** @default chartPins.kubePrometheusStack */
  readonly pin?: HelmChartPin;
}

/**
 * kube-prometheus-stack: the Prometheus Operator CRDs (ServiceMonitor, PrometheusRule) the rendered manifests use,
 * a Prometheus that selects them by platform.monitoring's labels in every namespace, and Grafana whose sidecar loads
 * dashboard ConfigMaps by label.
 */
export class KubePrometheusStack extends Construct {
  readonly addon: HelmAddon;

  constructor(scope: Construct, id: string, props: KubePrometheusStackProps) {
    super(scope, id);
    const [dashboardLabel, dashboardLabelValue] = singleLabel(monitoring.grafanaDashboardLabels);
    this.addon = new HelmAddon(this, 'Addon', {
      cluster: props.cluster,
      pin: props.pin ?? chartPins.kubePrometheusStack,
      values: {
        prometheus: {
          prometheusSpec: {
            retention: props.retention ?? '15d',
            serviceMonitorSelectorNilUsesHelmValues: false,
            serviceMonitorSelector: { matchLabels: { ...monitoring.prometheusSelectorLabels } },
            serviceMonitorNamespaceSelector: {},
            ruleSelectorNilUsesHelmValues: false,
            ruleSelector: { matchLabels: { ...monitoring.prometheusSelectorLabels } },
            ruleNamespaceSelector: {},
          },
        },
        grafana: {
          // Replaces the chart's well-known default ("prom-operator"): Grafana's Secret template generates a random
          // password when adminPassword is empty. ("" rather than null: Helm has not always honoured null for values
          // a parent chart sets for its subchart.)
          adminPassword: '',
          sidecar: {
            dashboards: {
              enabled: true,
              label: dashboardLabel,
              labelValue: dashboardLabelValue,
              searchNamespace: 'ALL',
            },
          },
        },
        // EKS runs these on the managed control plane (or binds them to localhost): scraping them only raises alerts.
        kubeControllerManager: { enabled: false },
        kubeScheduler: { enabled: false },
        kubeEtcd: { enabled: false },
        kubeProxy: { enabled: false },
      },
    });
  }
}

/** The Grafana sidecar selects by exactly one label. */
function singleLabel(labels: Readonly<Record<string, string>>): [string, string] {
  const entries = Object.entries(labels);
  const [first] = entries;
  if (entries.length !== 1 || !first) throw new Error('platform.monitoring.grafanaDashboardLabels must hold one label');
  return first;
}
