import { KubectlV36Layer } from '@aws-cdk/lambda-layer-kubectl-v36';
import { CfnCondition, CfnElement, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { subnetGroups } from '../../../platform/network.js';

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
  /** Retention of the control-plane logs. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/** Where EKS writes the control-plane logs; it creates the group itself (never expiring) unless it exists. */
export const controlPlaneLogGroupName = (clusterName: string): string => `/aws/eks/${clusterName}/cluster`;

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
    // Created before the cluster, so the control-plane logs (the audit log is the big one) expire as configured
    // instead of piling up forever in a group EKS would create without retention.
    const controlPlaneLogs = new logs.LogGroup(this, 'ControlPlaneLogs', {
      logGroupName: controlPlaneLogGroupName(props.clusterName),
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const cfnCluster = this.cluster.node.defaultChild;
    if (!(cfnCluster instanceof eks.CfnCluster)) throw new Error('aws-eks-v2 Cluster resource not found');
    cfnCluster.node.addDependency(controlPlaneLogs);

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

    // IMDSv2 only, one hop: a pod (its own network namespace, one hop further) cannot take the node role's
    // credentials from the instance metadata service. Nothing in a pod needs it: the ALB controller is given its
    // region and VPC, External Secrets uses IRSA. The root volume is encrypted gp3.
    const nodeLaunchTemplate = new ec2.LaunchTemplate(this, 'NodeLaunchTemplate', {
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(props.nodeGroup.diskSizeGiB ?? 50, {
            volumeType: ec2.EbsDeviceVolumeType.GP3,
            encrypted: true,
          }),
        },
      ],
    });
    if (!nodeLaunchTemplate.launchTemplateId) throw new Error('the node launch template has no id');
    const firstType = new ec2.InstanceType(props.nodeGroup.instanceTypes[0] ?? 'm7i.large');
    this.nodeGroup = this.cluster.addNodegroupCapacity('Nodes', {
      launchTemplateSpec: { id: nodeLaunchTemplate.launchTemplateId, version: nodeLaunchTemplate.latestVersionNumber },
      instanceTypes: props.nodeGroup.instanceTypes.map((type) => new ec2.InstanceType(type)),
      amiType:
        firstType.architecture === ec2.InstanceArchitecture.ARM_64
          ? eks.NodegroupAmiType.AL2023_ARM_64_STANDARD
          : eks.NodegroupAmiType.AL2023_X86_64_STANDARD,
      capacityType: eks.CapacityType.ON_DEMAND,
      minSize: props.nodeGroup.minSize,
      desiredSize: props.nodeGroup.desiredSize,
      maxSize: props.nodeGroup.maxSize,
      subnets: nodeSubnets,
    });

    acknowledgeManagedRoles(this.cluster, this.nodeGroup);
    Validations.of(this.cluster).acknowledge({
      id: 'CloudFormation-Validate::W9009',
      reason:
        'EncryptionConfig.Resources ["secrets"] is what aws-eks-v2 emits for envelope encryption; still honoured.',
    });

    // cdk-nag 3.0's EKS1/EKS2 look only at aws-eks (classic) clusters, so they do not fire here today: this covers
    // EKS1 once they see aws-eks-v2. cluster/test/cluster.test.ts checks the endpoint CIDRs and the log types itself.
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
