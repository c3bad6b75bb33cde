import * as iam from 'aws-cdk-lib/aws-iam';

export interface KarpenterPolicyScope {
  readonly clusterName: string;
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly nodeRoleArn: string;
  readonly interruptionQueueArn: string;
}

/**
 * The Karpenter controller's permissions, statement for statement as Karpenter v1.14's getting-started
 * CloudFormation template grants them (website/content/en/v1.14/.../cloudformation.yaml, aws/karpenter-provider-aws):
 * it may launch, tag and terminate only instances and launch templates tagged for this cluster and a NodePool, pass
 * only its node role, and manage only instance profiles it tagged itself. The describe/list calls have no resource
 * level permissions and are limited to the region.
 */
export function karpenterControllerStatements(scope: KarpenterPolicyScope): iam.PolicyStatement[] {
  const { clusterName, partition, region, account } = scope;
  const ec2 = (resource: string) => `arn:${partition}:ec2:${region}:*:${resource}`;
  const ownedTag = `kubernetes.io/cluster/${clusterName}`;
  const instanceProfiles = `arn:${partition}:iam::${account}:instance-profile/*`;
  const createdResources = [
    ec2('fleet/*'),
    ec2('instance/*'),
    ec2('volume/*'),
    ec2('network-interface/*'),
    ec2('launch-template/*'),
    ec2('spot-instances-request/*'),
  ];
  const clusterCluster = `arn:${partition}:eks:${region}:${account}:cluster/${clusterName}`;
  return [
    new iam.PolicyStatement({
      sid: 'AllowScopedEC2InstanceAccessActions',
      actions: ['ec2:RunInstances', 'ec2:CreateFleet'],
      resources: [
        `arn:${partition}:ec2:${region}::image/*`,
        `arn:${partition}:ec2:${region}::snapshot/*`,
        ec2('security-group/*'),
        ec2('subnet/*'),
        ec2('capacity-reservation/*'),
        ec2('placement-group/*'),
      ],
    }),
    new iam.PolicyStatement({
      sid: 'AllowScopedEC2LaunchTemplateAccessActions',
      actions: ['ec2:RunInstances', 'ec2:CreateFleet'],
      resources: [ec2('launch-template/*')],
      conditions: {
        StringEquals: { [`aws:ResourceTag/${ownedTag}`]: 'owned' },
        StringLike: { 'aws:ResourceTag/karpenter.sh/nodepool': '*' },
      },
    }),
    new iam.PolicyStatement({
      sid: 'AllowScopedEC2InstanceActionsWithTags',
      actions: ['ec2:RunInstances', 'ec2:CreateFleet', 'ec2:CreateLaunchTemplate'],
      resources: createdResources,
      conditions: {
        StringEquals: { [`aws:RequestTag/${ownedTag}`]: 'owned', 'aws:RequestTag/eks:eks-cluster-name': clusterName },
        StringLike: { 'aws:RequestTag/karpenter.sh/nodepool': '*' },
      },
    }),
    new iam.PolicyStatement({
      sid: 'AllowScopedResourceCreationTagging',
      actions: ['ec2:CreateTags'],
      resources: createdResources,
      conditions: {
        StringEquals: {
          [`aws:RequestTag/${ownedTag}`]: 'owned',
          'aws:RequestTag/eks:eks-cluster-name': clusterName,
          'ec2:CreateAction': ['RunInstances', 'CreateFleet', 'CreateLaunchTemplate'],
        },
        StringLike: { 'aws:RequestTag/karpenter.sh/nodepool': '*' },
      },
    }),
    new iam.PolicyStatement({
      sid: 'AllowScopedResourceTagging',
      actions: ['ec2:CreateTags'],
      resources: [ec2('instance/*')],
      conditions: {
        StringEquals: { [`aws:ResourceTag/${ownedTag}`]: 'owned' },
        StringLike: { 'aws:ResourceTag/karpenter.sh/nodepool': '*' },
        StringEqualsIfExists: { 'aws:RequestTag/eks:eks-cluster-name': clusterName },
        'ForAllValues:StringEquals': { 'aws:TagKeys': ['eks:eks-cluster-name', 'karpenter.sh/nodeclaim', 'Name'] },
      },
    }),
    new iam.PolicyStatement({
      sid: 'AllowScopedDeletion',
      actions: ['ec2:TerminateInstances', 'ec2:DeleteLaunchTemplate'],
      resources: [ec2('instance/*'), ec2('launch-template/*')],
      conditions: {
        StringEquals: { [`aws:ResourceTag/${ownedTag}`]: 'owned' },
        StringLike: { 'aws:ResourceTag/karpenter.sh/nodepool': '*' },
      },
    }),
    new iam.PolicyStatement({
      sid: 'AllowPassingInstanceRole',
      actions: ['iam:PassRole'],
      resources: [scope.nodeRoleArn],
      conditions: { StringEquals: { 'iam:PassedToService': ['ec2.amazonaws.com', 'ec2.amazonaws.com.cn'] } },
    }),
    new iam.PolicyStatement({
      sid: 'AllowScopedInstanceProfileCreationActions',
      actions: ['iam:CreateInstanceProfile'],
      resources: [instanceProfiles],
      conditions: {
        StringEquals: {
          [`aws:RequestTag/${ownedTag}`]: 'owned',
          'aws:RequestTag/eks:eks-cluster-name': clusterName,
          'aws:RequestTag/topology.kubernetes.io/region': region,
        },
        StringLike: { 'aws:RequestTag/karpenter.k8s.aws/ec2nodeclass': '*' },
      },
    }),
    new iam.PolicyStatement({
      sid: 'AllowScopedInstanceProfileTagActions',
      actions: ['iam:TagInstanceProfile'],
      resources: [instanceProfiles],
      conditions: {
        StringEquals: {
          [`aws:ResourceTag/${ownedTag}`]: 'owned',
          'aws:ResourceTag/topology.kubernetes.io/region': region,
          [`aws:RequestTag/${ownedTag}`]: 'owned',
          'aws:RequestTag/eks:eks-cluster-name': clusterName,
          'aws:RequestTag/topology.kubernetes.io/region': region,
        },
        StringLike: {
          'aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass': '*',
          'aws:RequestTag/karpenter.k8s.aws/ec2nodeclass': '*',
        },
      },
    }),
    new iam.PolicyStatement({
      sid: 'AllowScopedInstanceProfileActions',
      actions: ['iam:AddRoleToInstanceProfile', 'iam:RemoveRoleFromInstanceProfile', 'iam:DeleteInstanceProfile'],
      resources: [instanceProfiles],
      conditions: {
        StringEquals: {
          [`aws:ResourceTag/${ownedTag}`]: 'owned',
          'aws:ResourceTag/topology.kubernetes.io/region': region,
        },
        StringLike: { 'aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass': '*' },
      },
    }),
    new iam.PolicyStatement({
      sid: 'AllowAPIServerEndpointDiscovery',
      actions: ['eks:DescribeCluster'],
      resources: [clusterCluster],
    }),
    new iam.PolicyStatement({
      sid: 'AllowInterruptionQueueActions',
      actions: ['sqs:DeleteMessage', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'],
      resources: [scope.interruptionQueueArn],
    }),
    new iam.PolicyStatement({
      sid: 'AllowRegionalReadActions',
      actions: [
        'ec2:DescribeCapacityReservations',
        'ec2:DescribeImages',
        'ec2:DescribeInstances',
        'ec2:DescribeInstanceStatus',
        'ec2:DescribeInstanceTypeOfferings',
        'ec2:DescribeInstanceTypes',
        'ec2:DescribeLaunchTemplates',
        'ec2:DescribePlacementGroups',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeSpotPriceHistory',
        'ec2:DescribeSubnets',
      ],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:RequestedRegion': region } },
    }),
    new iam.PolicyStatement({
      sid: 'AllowSSMReadActions',
      actions: ['ssm:GetParameter'],
      resources: [`arn:${partition}:ssm:${region}::parameter/aws/service/*`],
    }),
    new iam.PolicyStatement({ sid: 'AllowPricingReadActions', actions: ['pricing:GetProducts'], resources: ['*'] }),
    new iam.PolicyStatement({
      sid: 'AllowUnscopedInstanceProfileListAction',
      actions: ['iam:ListInstanceProfiles'],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'AllowInstanceProfileReadActions',
      actions: ['iam:GetInstanceProfile'],
      resources: [instanceProfiles],
    }),
  ];
}

/**
 * Why each wildcard of the statements above is needed: Karpenter creates instances, fleets, volumes, launch
 * templates and instance profiles at run time, so their ARNs cannot be known in advance; tag conditions scope them.
 */
export function karpenterWildcardReasons(scope: Pick<KarpenterPolicyScope, 'partition' | 'region' | 'account'>) {
  const { partition, region, account } = scope;
  const ec2 = (resource: string) => `arn:${partition}:ec2:${region}:*:${resource}`;
  const launched = (what: string) =>
    `Karpenter launches ${what} at run time (ARN unknown in advance); only with the cluster's ownership and ` +
    `NodePool tags in the request (aws:RequestTag conditions).`;
  return [
    [
      `arn:${partition}:ec2:${region}::image/*`,
      'RunInstances/CreateFleet must name the AMI, chosen at run time from the EKS-optimized AMI alias.',
    ],
    [
      `arn:${partition}:ec2:${region}::snapshot/*`,
      'RunInstances/CreateFleet reference the AMI root snapshot, whose id comes with the AMI chosen at run time.',
    ],
    [
      ec2('security-group/*'),
      'RunInstances/CreateFleet name the node security groups, discovered at run time by tag (EC2NodeClass).',
    ],
    [
      ec2('subnet/*'),
      'RunInstances/CreateFleet name the node subnets, discovered at run time by the karpenter.sh/discovery tag.',
    ],
    [
      ec2('capacity-reservation/*'),
      'RunInstances/CreateFleet may target capacity reservations selected by the EC2NodeClass at run time.',
    ],
    [
      ec2('placement-group/*'),
      'RunInstances/CreateFleet may target placement groups selected by the EC2NodeClass at run time.',
    ],
    [ec2('launch-template/*'), launched('and deletes launch templates')],
    [ec2('fleet/*'), launched('EC2 fleets')],
    [ec2('instance/*'), launched('and terminates instances')],
    [ec2('network-interface/*'), launched('the primary network interfaces of instances')],
    [ec2('spot-instances-request/*'), launched('Spot requests')],
    [ec2('volume/*'), launched('root volumes')],
    [
      `arn:${partition}:iam::${account}:instance-profile/*`,
      'Karpenter creates one instance profile per EC2NodeClass at run time; tag conditions limit it to profiles tagged for this cluster and region.',
    ],
    [
      `arn:${partition}:ssm:${region}::parameter/aws/service/*`,
      'Karpenter resolves the EKS-optimized AMI ids from the public AWS SSM parameters under /aws/service (read only).',
    ],
    [
      '*',
      'Karpenter: EC2 Describe* calls (region-scoped by condition), pricing:GetProducts and iam:ListInstanceProfiles support no resource-level permissions.',
    ],
  ] as const;
}
