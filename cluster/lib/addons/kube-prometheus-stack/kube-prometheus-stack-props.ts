import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { AlertRouting } from '../../alerting/index.js';
import type { HelmChartPin } from '../helm-addon/index.js';
import type { MonitoringStorage } from './monitoring-storage.js';

export interface KubePrometheusStackProps {
  readonly cluster: eks.ICluster;
  /** Where Alertmanager publishes; its Pod Identity role may publish there and do nothing else. */
  readonly alertTopic: sns.ITopic;
  /** Which alerts notify, and how often again. */
  readonly alertRouting: AlertRouting;
  /** Named in every notification. */
  readonly environmentName: string;
  /** @default '15d' */
  readonly retention?: string;
  /** @default chartPins.kubePrometheusStack */
  readonly pin?: HelmChartPin;
  /** Persistent volumes for Prometheus, Alertmanager and Grafana. @default emptyDir (lost when a pod moves) */
  readonly storage?: MonitoringStorage;
}
