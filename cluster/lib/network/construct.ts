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
        { name: subnetGroups.public, subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: subnetGroups.nodes, subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 19 },
        { name: subnetGroups.database, subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
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
