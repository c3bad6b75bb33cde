import type * as ec2 from 'aws-cdk-lib/aws-ec2';

export interface VpcEndpointsProps {
  readonly vpc: ec2.IVpc;
  /** Subnets that get an endpoint network interface (one per zone): where the callers run. */
  readonly subnets: ec2.SubnetSelection;
  /** The VPC's CIDR as a literal (platform environment's vpcCidr), admitted to the interface endpoints. */
  readonly vpcCidr: string;
}
