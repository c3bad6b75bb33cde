/** What the NodePool may launch: the knobs an environment sets. */
export interface KarpenterCapacity {
  /** EC2 instance categories (c, m, r, ...). */
  readonly instanceCategories: readonly string[];
  /** 'on-demand' and/or 'spot'. */
  readonly capacityTypes: readonly ('on-demand' | 'spot')[];
  /** Ceiling on the vCPUs of all Karpenter nodes together: the cost guard. */
  readonly cpuLimit: number;
  /** EKS-optimized AMI alias, e.g. al2023@latest or a pinned al2023@v20261101. */
  readonly amiAlias: string;
  /** Root volume size. */
  readonly rootVolumeGiB: number;
}

export interface NodeClassSettings {
  readonly clusterName: string;
  readonly nodeRoleName: string;
  /** The tag key/value the node subnets carry (karpenter.sh/discovery = cluster name). */
  readonly subnetDiscoveryTag: Readonly<Record<string, string>>;
  readonly tags: Readonly<Record<string, string>>;
}

export const nodeClassName = 'default';
export const nodePoolName = 'default';

/**
 * The EC2NodeClass: the managed node group's settings for the nodes Karpenter launches. IMDSv2 only with one hop
 * (pods cannot take the node role's credentials), encrypted gp3 root volume, the cluster's node subnets found by
 * their discovery tag, and the EKS cluster security group (the one RDS and the cache admit) found by the tag EKS
 * puts on it.
 */
export function ec2NodeClass(settings: NodeClassSettings, capacity: KarpenterCapacity): Record<string, unknown> {
  return {
    apiVersion: 'karpenter.k8s.aws/v1',
    kind: 'EC2NodeClass',
    metadata: { name: nodeClassName },
    spec: {
      role: settings.nodeRoleName,
      amiSelectorTerms: [{ alias: capacity.amiAlias }],
      subnetSelectorTerms: [{ tags: { ...settings.subnetDiscoveryTag } }],
      securityGroupSelectorTerms: [{ tags: { 'aws:eks:cluster-name': settings.clusterName } }],
      metadataOptions: {
        httpEndpoint: 'enabled',
        httpProtocolIPv6: 'disabled',
        httpPutResponseHopLimit: 1,
        httpTokens: 'required',
      },
      blockDeviceMappings: [
        {
          deviceName: '/dev/xvda',
          ebs: {
            volumeSize: `${capacity.rootVolumeGiB}Gi`,
            volumeType: 'gp3',
            encrypted: true,
            deleteOnTermination: true,
          },
        },
      ],
      tags: { ...settings.tags },
    },
  };
}

/**
 * The NodePool: linux/amd64 (the release builds amd64 images) of current generations, consolidated when empty or
 * underused, replaced after 30 days (fresh AMIs), disrupted at most 10 % at a time, and capped in total vCPUs.
 */
export function nodePool(capacity: KarpenterCapacity): Record<string, unknown> {
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodePool',
    metadata: { name: nodePoolName },
    spec: {
      template: {
        spec: {
          nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: nodeClassName },
          requirements: [
            { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
            { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] },
            { key: 'karpenter.sh/capacity-type', operator: 'In', values: [...capacity.capacityTypes] },
            { key: 'karpenter.k8s.aws/instance-category', operator: 'In', values: [...capacity.instanceCategories] },
            { key: 'karpenter.k8s.aws/instance-generation', operator: 'Gt', values: ['5'] },
          ],
          expireAfter: '720h',
        },
      },
      limits: { cpu: String(capacity.cpuLimit) },
      disruption: {
        consolidationPolicy: 'WhenEmptyOrUnderutilized',
        consolidateAfter: '1m',
        budgets: [{ nodes: '10%' }],
      },
    },
  };
}
