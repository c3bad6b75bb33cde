import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import { monitoring } from '../../../../platform/environments.js';
import { platformAlertGroups, type PlatformAlertSettings } from './rules.js';
import type { PlatformAlertsProps } from './platform-alerts-props.js';

const defaultSettings: PlatformAlertSettings = { outOfSyncFor: '30m', nodePoolCpuWarningRatio: 0.9 };

/** Name of the PrometheusRule the platform alerts live in. */
export const platformAlertsRuleName = 'platform-controllers';

/**
 * The platform alerts as a PrometheusRule in the monitoring namespace, labelled so the Prometheus of
 * kube-prometheus-stack loads it; apply it after that chart (its CRDs). Routed by Alertmanager like every alert.
 */
export class PlatformAlerts extends Construct {
  readonly manifest: eks.KubernetesManifest;

  constructor(scope: Construct, id: string, props: PlatformAlertsProps) {
    super(scope, id);
    const settings = { ...defaultSettings, ...props };
    if (!(settings.nodePoolCpuWarningRatio > 0 && settings.nodePoolCpuWarningRatio < 1)) {
      throw new Error(
        `PlatformAlerts nodePoolCpuWarningRatio must be between 0 and 1, got ${settings.nodePoolCpuWarningRatio}`,
      );
    }
    if (!/^\d+[smh]$/.test(settings.outOfSyncFor)) {
      throw new Error(`PlatformAlerts outOfSyncFor must be a duration such as 30m, got "${settings.outOfSyncFor}"`);
    }
    this.manifest = new eks.KubernetesManifest(this, 'Rule', {
      cluster: props.cluster,
      manifest: [
        {
          apiVersion: 'monitoring.coreos.com/v1',
          kind: 'PrometheusRule',
          metadata: {
            name: platformAlertsRuleName,
            namespace: monitoring.namespace,
            labels: { ...monitoring.prometheusSelectorLabels, 'app.kubernetes.io/part-of': 'platform' },
          },
          spec: { groups: platformAlertGroups(settings) },
        },
      ],
    });
  }
}
