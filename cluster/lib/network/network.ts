import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface NetworkProps {
  /** VPC CIDR (platform environment's vpcCidr). */
  readonly cidr: string;
  /** At least two: the node group, the ALB and Multi-AZ RDS each need subnets in two zones. */
  readonly availabilityZoneCount: number;
  /** @default 1 */
  readonly natGateways?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly flowLogRetention?: logs.RetentionDays;
}

/** Subnet group names; the cluster and the database select their subnets by these. */
export const subnetGroups = {
  /** Internet-facing ALBs and NAT gateways. */
  public: 'public',
  /** Nodes and pods (VPC CNI gives pods VPC addresses: these are large). */
  nodes: 'nodes',
  /** The database: no route to or from the internet. */
  database: 'database',
} as const;

/** Prefix length of each subnet group's subnets, one subnet per AZ, allocated in this order. */
export const subnetMasks = {
  [subnetGroups.public]: 24,
  [subnetGroups.nodes]: 19,
  [subnetGroups.database]: 24,
} as const;

/**
 * The smallest VPC prefix that holds the subnets of `availabilityZoneCount` zones, allocated as ec2.Vpc does: group
 * after group, each subnet aligned on its own size.
 */
export function smallestVpcPrefix(availabilityZoneCount: number): number {
  let end = 0;
  for (const mask of Object.values(subnetMasks)) {
    const size = 2 ** (32 - mask);
    end = Math.ceil(end / size) * size + availabilityZoneCount * size;
  }
  return 32 - Math.ceil(Math.log2(end));
}

/** The VPC: public, private (nodes) and isolated (database) subnets over two or more AZs, with flow logs. */
export class Network extends Construct {
  readonly vpc: ec2.Vpc;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(props.cidr),
      maxAzs: props.availabilityZoneCount,
      natGateways: props.natGateways ?? 1,
      subnetConfiguration: [
        {
          name: subnetGroups.public,
          subnetType: ec2.SubnetType.PUBLIC,
          cidrMask: subnetMasks.public,
          mapPublicIpOnLaunch: false,
        },
        { name: subnetGroups.nodes, subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: subnetMasks.nodes },
        { name: subnetGroups.database, subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: subnetMasks.database },
      ],
    });

    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.flowLogRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
  }
}
