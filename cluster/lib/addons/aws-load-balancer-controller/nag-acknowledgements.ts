import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** The resource patterns of the controller's published policy that cdk-nag reports as wildcards. */
const publishedPolicyWildcards = [
  'arn:<AWS::Partition>:ec2:*:*:security-group/*',
  'arn:<AWS::Partition>:elasticloadbalancing:*:*:loadbalancer/app/*/*',
  'arn:<AWS::Partition>:elasticloadbalancing:*:*:loadbalancer/net/*/*',
  'arn:<AWS::Partition>:elasticloadbalancing:*:*:targetgroup/*/*',
  'arn:<AWS::Partition>:elasticloadbalancing:*:*:listener/app/*/*/*',
  'arn:<AWS::Partition>:elasticloadbalancing:*:*:listener/net/*/*/*',
  'arn:<AWS::Partition>:elasticloadbalancing:*:*:listener-rule/app/*/*/*',
  'arn:<AWS::Partition>:elasticloadbalancing:*:*:listener-rule/net/*/*/*',
] as const;

/**
 * The policy is the one the controller project publishes for the pinned version, kept as is: it manages load
 * balancers, listeners, rules, target groups and security groups that it creates itself, so their ARNs cannot be known
 * in advance. Creating and changing load balancers and target groups is conditioned on the elbv2.k8s.aws/cluster tag;
 * upstream leaves rule changes and security-group ingress unconditioned.
 */
export function acknowledgeControllerPolicy(role: IConstruct): void {
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'AWS Load Balancer Controller published policy on "*": Describe/Get/List calls (no resource-level ' +
      'permissions), the ELB service-linked role, WAF/Shield association, security groups and their ingress rules, ' +
      'listener rules, and load balancers and target groups (created and changed only with the elbv2.k8s.aws/cluster ' +
      'tag).',
  });
  for (const resource of publishedPolicyWildcards) {
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${resource}]`,
      reason: `AWS Load Balancer Controller published policy: resources it creates at run time (${resource}).`,
    });
  }
}
