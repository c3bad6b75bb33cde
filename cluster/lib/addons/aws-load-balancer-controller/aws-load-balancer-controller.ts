import { Validations } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import { albControllerVersion } from '../charts.js';

const controllerPolicyWildcards = [
  '*',
  'arn:<AWS::Partition>:ec2:*:*:security-group/*',
  'arn:<AWS::Partition>:elasticloadbalancing:*:*:loadbalancer/app/*/*',
  'arn:<AWS::Partition>:elasticloadbalancing:*:*:loadbalancer/net/*/*',
  'arn:<AWS::Partition>:elasticloadbalancing:*:*:targetgroup/*/*',
  'arn:<AWS::Partition>:elasticloadbalancing:*:*:listener/app/*/*/*',
  'arn:<AWS::Partition>:elasticloadbalancing:*:*:listener/net/*/*/*',
  'arn:<AWS::Partition>:elasticloadbalancing:*:*:listener-rule/app/*/*/*',
  'arn:<AWS::Partition>:elasticloadbalancing:*:*:listener-rule/net/*/*/*',
] as const;

export interface AwsLoadBalancerControllerProps {
  readonly cluster: eks.Cluster;
  /** @default albControllerVersion */
  readonly version?: eks.AlbControllerVersion;
  /** @default 2 */
  readonly replicas?: number;
}

/**
 * AWS Load Balancer Controller (aws-eks-v2's AlbController: Helm chart + IRSA role with the controller's published
 * policy). Its webhook injects the pod readiness gates that charts-out/ relies on.
 */
export class AwsLoadBalancerController extends Construct {
  readonly controller: eks.AlbController;

  constructor(scope: Construct, id: string, props: AwsLoadBalancerControllerProps) {
    super(scope, id);
    this.controller = eks.AlbController.create(this, {
      cluster: props.cluster,
      version: props.version ?? albControllerVersion,
      // The public gallery serves every region; the construct's default is one region's private ECR.
      repository: 'public.ecr.aws/eks/aws-load-balancer-controller',
      additionalHelmChartValues: {
        replicaCount: props.replicas ?? 2,
        // Services of type LoadBalancer are not used; only Ingress (ALB) is.
        enableServiceMutatorWebhook: false,
      },
    });
    // The policy is the one the controller project publishes (shipped by aws-eks-v2 per version), kept as is: it
    // manages load balancers, listeners, rules, target groups and security groups that it creates itself, so their
    // ARNs cannot be known in advance. Creating and changing load balancers and target groups is conditioned on the
    // elbv2.k8s.aws/cluster tag; upstream leaves rule changes and security-group ingress unconditioned.
    for (const resource of controllerPolicyWildcards) {
      Validations.of(this.controller).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${resource}]`,
        reason:
          resource === '*'
            ? 'AWS Load Balancer Controller published policy on "*": Describe/Get/List calls (no resource-level ' +
              'permissions), the ELB service-linked role, WAF/Shield association, security groups and their ' +
              'ingress rules, listener rules, and load balancers and target groups (created and changed only with ' +
              'the elbv2.k8s.aws/cluster tag).'
            : `AWS Load Balancer Controller published policy: resources it creates at run time (${resource}).`,
      });
    }
  }
}
