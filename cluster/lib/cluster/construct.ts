import { KubectlV36Layer } from '@aws-cdk/lambda-layer-kubectl-v36';
import { CfnCondition, CfnElement, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { subnetGroups } from '../network/construct.js';

/** The kubectl/helm the CloudFormation custom resources run must match the cluster's minor version. */
export const kubectlLayerVersion = '1.36';

export interface NodeGroupSettings {
  readonly instanceTypes: readonly string[];
  readonly minSize: number;
  readonly desiredSize: number;
  readonly maxSize: number;
  /** @default 50 */
  readonly diskSizeGiB?: number;
}

export interface KubernetesClusterProps {
  readonly vpc: ec2.IVpc;
  /** Cluster name, also the prefix the AWS console shows. */
  readonly clusterName: string;
  /** Kubernetes minor version, e.g. '1.36' (platform.kubernetesVersion). */
  readonly kubernetesVersion: string;
  readonly nodeGroup: NodeGroupSettings;
  /** IAM role granted cluster-admin through an EKS access entry. */
  readonly adminRoleArn: string;
  /** CIDRs allowed to the public API endpoint; empty: private endpoint only. */
  readonly apiPublicAccessCidrs: readonly string[];
}

/**
 * EKS (aws-eks-v2) with control-plane logging, envelope encryption of Secrets, API-mode access entries (the admin
 * role from configuration and the kubectl handler; not the CloudFormation role), and one managed node group spread
 * over the private subnets of every AZ.
 */
export class KubernetesCluster extends Construct {
  readonly cluster: eks.Cluster;
  readonly nodeGroup: eks.Nodegroup;

  constructor(scope: Construct, id: string, props: KubernetesClusterProps) {
    super(scope, id);
    if (props.kubernetesVersion !== kubectlLayerVersion) {
      throw new Error(
        `Kubernetes ${props.kubernetesVersion} needs the matching kubectl layer, but cluster/ uses ` +
          `@aws-cdk/lambda-layer-kubectl-v${kubectlLayerVersion.replace('1.', '')}: install ` +
          `@aws-cdk/lambda-layer-kubectl-v${props.kubernetesVersion.replace('1.', '')} and update kubectlLayerVersion`,
      );
    }
    const nodeSubnets: ec2.SubnetSelection = { subnetGroupName: subnetGroups.nodes };

    const secretsKey = new kms.Key(this, 'SecretsKey', {
      description: `Envelope encryption of Kubernetes Secrets in ${props.clusterName}`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const endpointAccess =
      props.apiPublicAccessCidrs.length > 0
        ? eks.EndpointAccess.PUBLIC_AND_PRIVATE.onlyFrom(...props.apiPublicAccessCidrs)
        : eks.EndpointAccess.PRIVATE;

    const kubectlHandlerSecurityGroup = new ec2.SecurityGroup(this, 'KubectlHandlerSecurityGroup', {
      vpc: props.vpc,
      description: 'kubectl/helm handler: the Kubernetes API and chart repositories',
    });

    this.cluster = new eks.Cluster(this, 'Cluster', {
      clusterName: props.clusterName,
      version: eks.KubernetesVersion.of(props.kubernetesVersion),
      vpc: props.vpc,
      vpcSubnets: [nodeSubnets],
      endpointAccess,
      secretsEncryptionKey: secretsKey,
      clusterLogging: [
        eks.ClusterLoggingTypes.API,
        eks.ClusterLoggingTypes.AUDIT,
        eks.ClusterLoggingTypes.AUTHENTICATOR,
        eks.ClusterLoggingTypes.CONTROLLER_MANAGER,
        eks.ClusterLoggingTypes.SCHEDULER,
      ],
      // The managed node group below is the capacity; no Auto Mode, no default capacity.
      defaultCapacityType: eks.DefaultCapacityType.NODEGROUP,
      defaultCapacity: 0,
      // Only the configured admin role and the kubectl handler get in, not whoever ran `cdk deploy`.
      bootstrapClusterCreatorAdminPermissions: false,
      outputConfigCommand: false,
      kubectlProviderOptions: {
        kubectlLayer: new KubectlV36Layer(this, 'KubectlLayer'),
        privateSubnets: props.vpc.selectSubnets(nodeSubnets).subnets,
        // Its own group: by default the handler joins the cluster security group, and with it whatever admits that
        // group (the database).
        securityGroups: [kubectlHandlerSecurityGroup],
      },
    });
    this.cluster.clusterSecurityGroup.addIngressRule(
      kubectlHandlerSecurityGroup,
      ec2.Port.tcp(443),
      'kubectl/helm handler to the Kubernetes API',
    );
    this.cluster.grantClusterAdmin('AdminRoleAccess', props.adminRoleArn);

    // The NetworkPolicies in charts-out/ are only enforced when the VPC CNI runs its network policy agent.
    const vpcCni = new eks.Addon(this, 'VpcCni', {
      cluster: this.cluster,
      addonName: 'vpc-cni',
      configurationValues: { enableNetworkPolicy: 'true' },
      preserveOnDelete: true,
    });
    // The cluster starts with a self-managed vpc-cni: the managed add-on takes it over.
    (vpcCni.node.defaultChild as eks.CfnAddon).resolveConflicts = 'OVERWRITE';

    const firstType = new ec2.InstanceType(props.nodeGroup.instanceTypes[0] ?? 'm7i.large');
    this.nodeGroup = this.cluster.addNodegroupCapacity('Nodes', {
      instanceTypes: props.nodeGroup.instanceTypes.map((type) => new ec2.InstanceType(type)),
      amiType:
        firstType.architecture === ec2.InstanceArchitecture.ARM_64
          ? eks.NodegroupAmiType.AL2023_ARM_64_STANDARD
          : eks.NodegroupAmiType.AL2023_X86_64_STANDARD,
      capacityType: eks.CapacityType.ON_DEMAND,
      minSize: props.nodeGroup.minSize,
      desiredSize: props.nodeGroup.desiredSize,
      maxSize: props.nodeGroup.maxSize,
      diskSize: props.nodeGroup.diskSizeGiB ?? 50,
      subnets: nodeSubnets,
    });

    acknowledgeManagedRoles(this.cluster, this.nodeGroup);
    Validations.of(this.cluster).acknowledge({
      id: 'CloudFormation-Validate::W9009',
      reason:
        'EncryptionConfig.Resources ["secrets"] is what aws-eks-v2 emits for envelope encryption; still honoured.',
    });

    if (props.apiPublicAccessCidrs.length > 0) {
      Validations.of(this.cluster).acknowledge({
        id: 'AwsSolutions-EKS1',
        reason: `The public API endpoint admits only the configured CIDRs (${props.apiPublicAccessCidrs.join(', ')}).`,
      });
    }
  }
}

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
    ['AmazonEC2ContainerRegistryReadOnly', 'Nodes and the kubectl handler pull images from ECR, read-only.'],
  ] as const) {
    Validations.of(nodeGroup).acknowledge({ id: awsManagedPolicy(policy), reason });
  }

  // The kubectl handler (a Lambda in the VPC running kubectl/helm for the custom resources) and its provider framework.
  const kubectlProvider = cluster.node.findChild('KubectlProvider');
  const providerScope = Validations.of(kubectlProvider);
  for (const policy of [
    'service-role/AWSLambdaBasicExecutionRole',
    'service-role/AWSLambdaVPCAccessExecutionRole',
    'AmazonEC2ContainerRegistryReadOnly',
  ]) {
    providerScope.acknowledge({
      id: awsManagedPolicy(policy),
      reason: 'aws-eks-v2 kubectl handler: Lambda logging and VPC ENIs, as AWS documents for Lambda in a VPC.',
    });
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
