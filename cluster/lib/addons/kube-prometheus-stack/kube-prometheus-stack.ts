import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { monitoring } from '../../../../platform/environments.js';
import { alertmanagerConfig } from '../../alerting/index.js';
import { chartPins } from '../charts.js';
import { HelmAddon } from '../helm-addon/index.js';
import type { KubePrometheusStackProps } from './kube-prometheus-stack-props.js';
import { mergeValues, monitoringStorageValues } from './monitoring-storage.js';

/** Alertmanager's service account: EKS Pod Identity gives it the role that publishes to the alert topic. */
export const alertmanagerServiceAccount = 'alertmanager';

/** The image the chart's CRD upgrade job starts from (the chart's default is busybox:latest, a moving tag). */
export const crdUpgradeJobBusyboxTag = '1.37.0';

const defaultProps = { retention: '15d', pin: chartPins.kubePrometheusStack };

/**
 * kube-prometheus-stack: the Prometheus Operator CRDs (ServiceMonitor, PrometheusRule) the rendered manifests use,
 * upgraded with the chart by its CRD upgrade job; a Prometheus that selects them by platform.monitoring's labels in
 * every namespace; Alertmanager routing to the environment's SNS topic; Grafana whose sidecar loads dashboard
 * ConfigMaps by label.
 */
export class KubePrometheusStack extends Construct {
  readonly addon: HelmAddon;

  constructor(scope: Construct, id: string, props: KubePrometheusStackProps) {
    super(scope, id);
    const { cluster, alertTopic, alertRouting, environmentName, retention, pin, storage } = {
      ...defaultProps,
      ...props,
    };
    const [dashboardLabel, dashboardLabelValue] = singleLabel(monitoring.grafanaDashboardLabels);
    this.addon = new HelmAddon(this, 'Addon', {
      cluster,
      pin,
      podIdentity: {
        serviceAccount: alertmanagerServiceAccount,
        statements: [
          new iam.PolicyStatement({
            sid: 'PublishAlerts',
            actions: ['sns:Publish'],
            resources: [alertTopic.topicArn],
          }),
        ],
      },
      values: mergeValues(storage ? monitoringStorageValues(storage) : {}, {
        // Helm installs crds/ once and never upgrades it: the chart's job applies the pinned CRDs before each upgrade.
        crds: {
          enabled: true,
          upgradeJob: {
            enabled: true,
            forceConflicts: true,
            image: { busybox: { tag: crdUpgradeJobBusyboxTag } },
          },
        },
        alertmanager: {
          serviceAccount: { create: true, name: alertmanagerServiceAccount },
          config: alertmanagerConfig({
            ...alertRouting,
            topicArn: alertTopic.topicArn,
            region: Stack.of(this).region,
            environmentName,
          }),
        },
        prometheus: {
          prometheusSpec: {
            retention,
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
      }),
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
