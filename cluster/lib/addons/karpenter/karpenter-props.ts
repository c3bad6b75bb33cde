import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import type { HelmChartPin } from '../helm-addon/index.js';
import type { KarpenterCapacity } from './node-pool.js';

export interface KarpenterProps {
  readonly cluster: eks.Cluster;
  readonly clusterName: string;
  /** The subnets Karpenter launches nodes into (tagged here for its subnet discovery). */
  readonly nodeSubnets: readonly ec2.ISubnet[];
  readonly capacity: KarpenterCapacity;
  /** @default chartPins.karpenter */
  readonly pin?: HelmChartPin;
}
