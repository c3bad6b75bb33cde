import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { ClusterConfig } from '../../config/schema.js';
import type { KubernetesCluster } from '../kubernetes-cluster/index.js';

export interface ClusterBaselineProps {
  readonly config: ClusterConfig;
  readonly vpc: ec2.IVpc;
  readonly kubernetes: KubernetesCluster;
  readonly clusterName: string;
  /** Retention of the container logs (the environment's log retention). */
  readonly logRetention: logs.RetentionDays;
}
