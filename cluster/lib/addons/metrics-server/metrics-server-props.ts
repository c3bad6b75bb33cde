import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import type { HelmChartPin } from '../helm-addon/index.js';

export interface MetricsServerProps {
  readonly cluster: eks.ICluster;
  /** @default 2 */
  readonly replicas?: number;
  /** @default chartPins.metricsServer */
  readonly pin?: HelmChartPin;
}
