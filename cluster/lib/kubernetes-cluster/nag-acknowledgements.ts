import { CfnCondition, CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type * as eks from 'aws-cdk-lib/aws-eks-v2';

const awsManagedPolicy = (name: string): string =>
  `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${name}]`;

/** The roles aws-eks-v2 creates use the AWS-managed policies EKS documents; each is acknowledged with why. */
function acknowledgeManagedRoles(cluster: eks.Cluster, nodeGroup: eks.Nodegroup): void {
  const clusterScope = Validations.of(cluster);
  clusterScope.acknowledge({
    id: awsManagedPolicy('AmazonEKSClusterPolicy'),
    reason: 'The EKS service role policy AWS requires for the control plane.',
  });
  for (const [policy, reason] of [
    ['AmazonEKSWorkerNodePolicy', 'Required by EKS for nodes to join the cluster.'],
    ['AmazonEKS_CNI_Policy', 'The VPC CNI (on the node role) assigns pod IPs from the VPC.'],
    [
      'AmazonEC2ContainerRegistryReadOnly',
      'The kubelet pulls images (the service image included) from ECR, read-only.',
    ],
  ] as const) {
    Validations.of(nodeGroup).acknowledge({ id: awsManagedPolicy(policy), reason });
  }

  // The kubectl handler (a Lambda in the VPC running kubectl/helm for the custom resources) and its provider framework.
  const kubectlProvider = cluster.node.findChild('KubectlProvider');
  const providerScope = Validations.of(kubectlProvider);
  for (const [policy, reason] of [
    [
      'service-role/AWSLambdaBasicExecutionRole',
      'aws-eks-v2 kubectl handler and its provider function: writing their own CloudWatch Logs, nothing else.',
    ],
    [
      'service-role/AWSLambdaVPCAccessExecutionRole',
      'aws-eks-v2 kubectl handler and its provider function run in the private subnets: creating and deleting ' +
        'their ENIs needs this policy, as AWS documents for Lambda in a VPC.',
    ],
    [
      'AmazonEC2ContainerRegistryReadOnly',
      'aws-eks-v2 kubectl handler: read-only ECR access, which Helm needs for charts served from ECR (OCI).',
    ],
  ] as const) {
    providerScope.acknowledge({ id: awsManagedPolicy(policy), reason });
  }
  const ecrPublicCondition = kubectlProvider.node
    .findAll()
    .find((child): child is CfnCondition => child instanceof CfnCondition && child.node.id === 'HasEcrPublic');
  if (ecrPublicCondition) {
    const conditionId = Stack.of(cluster).getLogicalId(ecrPublicCondition);
    providerScope.acknowledge({
      id:
        `AwsSolutions-IAM4[Policy::{"Fn::If":["${conditionId}",{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},` +
        `":iam::aws:policy/AmazonElasticContainerRegistryPublicReadOnly"]]},{"Ref":"AWS::NoValue"}]}]`,
      reason: 'aws-eks-v2 kubectl handler: read-only ECR Public access where the partition has it (pulls charts).',
    });
  }
  const handlerFunction = kubectlProvider.node.findChild('Handler').node.defaultChild;
  if (!(handlerFunction instanceof CfnElement)) throw new Error('aws-eks-v2 kubectl handler not found');
  providerScope.acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${Stack.of(cluster).getLogicalId(handlerFunction)}.Arn>:*]`,
    reason: 'The provider framework invokes every version of the kubectl handler function (its ARN with :*).',
  });
  providerScope.acknowledge({
    id: 'AwsSolutions-L1',
    reason:
      'The kubectl handler runtime is chosen by aws-eks-v2 to match the kubectl layer; it moves with aws-cdk-lib.',
  });
}

/** The cdk-nag findings of the cluster's own resources, each acknowledged where it arises, with why. */
export function acknowledgeClusterFindings(
  cluster: eks.Cluster,
  nodeGroup: eks.Nodegroup,
  apiPublicAccessCidrs: readonly string[],
): void {
  acknowledgeManagedRoles(cluster, nodeGroup);
  Validations.of(cluster).acknowledge({
    id: 'CloudFormation-Validate::W9009',
    reason: 'EncryptionConfig.Resources ["secrets"] is what aws-eks-v2 emits for envelope encryption; still honoured.',
  });
  // cdk-nag 3.0's EKS1/EKS2 look only at aws-eks (classic) clusters, so they do not fire here today: this covers
  // EKS1 once they see aws-eks-v2. cluster/test/cluster.test.ts checks the endpoint CIDRs and the log types itself.
  if (apiPublicAccessCidrs.length > 0) {
    Validations.of(cluster).acknowledge({
      id: 'AwsSolutions-EKS1',
      reason: `The public API endpoint admits only the configured CIDRs (${apiPublicAccessCidrs.join(', ')}).`,
    });
  }
}
