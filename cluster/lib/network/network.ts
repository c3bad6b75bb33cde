import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { subnetGroupOrder, subnetGroups, subnetMasks, type SubnetGroup } from '../../../platform/network.js';
import type { NetworkProps } from './network-props.js';

const subnetTypes: Readonly<Record<SubnetGroup, ec2.SubnetType>> = {
  public: ec2.SubnetType.PUBLIC,
  nodes: ec2.SubnetType.PRIVATE_WITH_EGRESS,
  database: ec2.SubnetType.PRIVATE_ISOLATED,
};

/**
 * The VPC of platform/network.ts's layout: public (ALB, NAT), private (nodes and pods) and isolated (database)
 * subnets, one per zone, with flow logs. Refuses a layout the VPC would allocate differently.
 */
export class Network extends Construct {
  readonly vpc: ec2.Vpc;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const zoneCount = props.layout.public.length;
    if (props.availabilityZones.length !== zoneCount) {
      throw new Error(
        `Network: availabilityZones lists ${props.availabilityZones.length} zones but the layout has ${zoneCount}`,
      );
    }
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(props.layout.vpcCidr),
      availabilityZones: [...props.availabilityZones],
      natGateways: props.natGateways ?? 1,
      subnetConfiguration: subnetGroupOrder.map((group) => ({
        name: subnetGroups[group],
        subnetType: subnetTypes[group],
        cidrMask: subnetMasks[group],
        ...(group === 'public' ? { mapPublicIpOnLaunch: false } : {}),
      })),
    });

    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.flowLogRetention ?? logs.RetentionDays.ONE_MONTH,
      encryptionKey: props.flowLogEncryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
  }
}
