import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import type { VpcEndpointsProps } from './vpc-endpoints-props.js';

/** The AWS APIs the cluster reaches privately, by interface endpoint, and what calls each one. */
export const interfaceEndpointServices = {
  /** Image manifests and auth tokens (kubelet pulling the service image and the controllers'). */
  EcrApi: ec2.InterfaceVpcEndpointAwsService.ECR,
  /** The registry (Docker API); the image layers themselves come from S3 (the gateway endpoint). */
  EcrDocker: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
  /** STS calls of anything that assumes a role itself (IRSA, which HelmAddon keeps for software without Pod Identity). */
  Sts: ec2.InterfaceVpcEndpointAwsService.STS,
  /** Credentials of the Pod Identity roles: the node's Pod Identity agent asks EKS Auth, not STS. */
  EksAuth: ec2.InterfaceVpcEndpointAwsService.EKS_AUTH,
  /** External Secrets reading the database, JWT and cache secrets. */
  SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
  /** Fluent Bit shipping container logs. */
  CloudWatchLogs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
  /** Alertmanager publishing alerts. */
  Sns: ec2.InterfaceVpcEndpointAwsService.SNS,
} as const;

/**
 * Private paths from the VPC to the AWS APIs the cluster calls all the time: the S3 gateway endpoint (free; ECR
 * image layers are S3 objects) and interface endpoints with private DNS, so the SDKs need no configuration and the
 * traffic neither pays NAT processing nor leaves the AWS network. The interface endpoints admit HTTPS from the VPC
 * only.
 */
export class VpcEndpoints extends Construct {
  readonly s3: ec2.GatewayVpcEndpoint;
  readonly interfaces: Readonly<Record<keyof typeof interfaceEndpointServices, ec2.InterfaceVpcEndpoint>>;
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: VpcEndpointsProps) {
    super(scope, id);
    this.s3 = props.vpc.addGatewayEndpoint('S3', {
      service: ec2.GatewayVpcEndpointAwsService.S3,
      subnets: [props.subnets],
    });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Interface VPC endpoints: HTTPS from inside the VPC',
      allowAllOutbound: false,
    });
    this.securityGroup.addIngressRule(
      ec2.Peer.ipv4(props.vpcCidr),
      ec2.Port.tcp(443),
      'HTTPS to AWS APIs from the VPC',
    );

    const interfaces = {} as Record<keyof typeof interfaceEndpointServices, ec2.InterfaceVpcEndpoint>;
    for (const [name, service] of Object.entries(interfaceEndpointServices) as [
      keyof typeof interfaceEndpointServices,
      ec2.InterfaceVpcEndpointAwsService,
    ][]) {
      interfaces[name] = new ec2.InterfaceVpcEndpoint(this, name, {
        vpc: props.vpc,
        service,
        subnets: props.subnets,
        privateDnsEnabled: true,
        securityGroups: [this.securityGroup],
        open: false,
      });
    }
    this.interfaces = interfaces;
  }
}
