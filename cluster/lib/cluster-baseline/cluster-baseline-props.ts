import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { ClusterConfig } from '../../config/schema.js';
import type { KubernetesCluster } from '../kubernetes-cluster/index.js';

export interface ClusterBaselineProps {
  readonly config: ClusterConfig;
  readonly vpc: ec2.IVpc;
  readonly kubernetes: KubernetesCluster;
  readonly clusterName: string;
}
