import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** The wildcards of the controller policy, each with its reason (from karpenterWildcardReasons), on the add-on. */
export function acknowledgeControllerWildcards(
  addon: IConstruct,
  wildcardReasons: Iterable<readonly [string, string]>,
): void {
  for (const [resource, reason] of wildcardReasons) {
    Validations.of(addon).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
  }
}

/** The node role's managed policies and the interruption queue's missing dead-letter queue. */
export function acknowledgeKarpenterFindings(nodeRole: IConstruct, interruptionQueue: IConstruct): void {
  Validations.of(nodeRole).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEKSWorkerNodePolicy]',
    reason: 'Karpenter nodes join the cluster with the policy EKS requires of every node role.',
  });
  Validations.of(nodeRole).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEKS_CNI_Policy]',
    reason: 'The VPC CNI on Karpenter nodes assigns pod IP addresses from the VPC (node role, as EKS documents).',
  });
  Validations.of(nodeRole).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly]',
    reason: 'The kubelet on Karpenter nodes pulls images from ECR: pull only, no listing or pushing.',
  });
  Validations.of(interruptionQueue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason:
      'Interruption notices expire within minutes (5-minute retention); a dead-letter queue would keep stale ' +
      'notices nobody can act on.',
  });
}
