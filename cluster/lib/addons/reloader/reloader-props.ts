import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import type { HelmChartPin } from '../helm-addon/index.js';

export interface ReloaderProps {
  readonly cluster: eks.ICluster;
  /** The only namespaces Reloader watches (a Role in each; no ClusterRole). */
  readonly namespaces: readonly string[];
  /** @default chartPins.reloader */
  readonly pin?: HelmChartPin;
}
