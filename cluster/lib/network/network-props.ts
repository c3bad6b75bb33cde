import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { SubnetLayout } from '../../../platform/network.js';

export interface NetworkProps {
  /** The subnet layout (platform/network.ts): the VPC CIDR and one subnet per zone and group. */
  readonly layout: SubnetLayout;
  /**
   * The zones, as many as the layout has subnets per group, read from cdk.json context (recorded once per account and
   * region), so synthesis never asks AWS for them.
   */
  readonly availabilityZones: readonly string[];
  /** NAT gateways: one per zone survives a zone outage; one is cheaper. @default 1 */
  readonly natGateways?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly flowLogRetention?: logs.RetentionDays;
  /** Encrypts the flow log group. @default - CloudWatch Logs' own encryption */
  readonly flowLogEncryptionKey?: kms.IKey;
}
