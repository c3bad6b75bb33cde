import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { ManagedAddonVersions } from './managed-addons.js';

export interface NodeGroupSettings {
  readonly instanceTypes: readonly string[];
  readonly minSize: number;
  readonly desiredSize: number;
  readonly maxSize: number;
  /** @default 50 */
  readonly diskSizeGiB?: number;
}

export interface KubernetesClusterProps {
  readonly vpc: ec2.IVpc;
  /** Cluster name, also the prefix the AWS console shows. */
  readonly clusterName: string;
  /** Kubernetes minor version, e.g. '1.36' (platform.kubernetesVersion). */
  readonly kubernetesVersion: string;
  readonly nodeGroup: NodeGroupSettings;
  /** IAM role granted cluster-admin through an EKS access entry. */
  readonly adminRoleArn: string;
  /** CIDRs allowed to the public API endpoint; empty: private endpoint only. */
  readonly apiPublicAccessCidrs: readonly string[];
  /** Retention of the control-plane logs. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Encrypts the control-plane log group. @default - CloudWatch Logs' own encryption */
  readonly logEncryptionKey?: kms.IKey;
  /** Versions of the EKS managed add-ons. @default managedAddonVersions */
  readonly addonVersions?: ManagedAddonVersions;
}
