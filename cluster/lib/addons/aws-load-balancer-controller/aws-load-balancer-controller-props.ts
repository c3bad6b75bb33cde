import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import type { HelmChartPin } from '../helm-addon/index.js';

export interface AwsLoadBalancerControllerProps {
  readonly cluster: eks.ICluster;
  /** The cluster's VPC: the controller is told its id (pods cannot reach the instance metadata service). */
  readonly vpc: ec2.IVpc;
  /** @default chartPins.awsLoadBalancerController */
  readonly pin?: HelmChartPin;
  /** @default 2 */
  readonly replicas?: number;
}
