import { KubectlV36Layer } from '@aws-cdk/lambda-layer-kubectl-v36';
import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { subnetGroups } from '../../../platform/network.js';
import type { KubernetesClusterProps } from './kubernetes-cluster-props.js';
import { checkAddonVersions, managedAddonVersions } from './managed-addons.js';
import { acknowledgeClusterFindings } from './nag-acknowledgements.js';

/** The kubectl/helm the CloudFormation custom resources run must match the cluster's minor version. */
export const kubectlLayerVersion = '1.36';

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
  /** The EKS managed add-ons, pinned. */
  readonly addons: Readonly<Record<'vpcCni' | 'coreDns' | 'kubeProxy' | 'podIdentityAgent', eks.IAddon>>;

  constructor(scope: Construct, id: string, props: KubernetesClusterProps) {
    super(scope, id);
    if (props.kubernetesVersion !== kubectlLayerVersion) {
      throw new Error(
        `Kubernetes ${props.kubernetesVersion} needs the matching kubectl layer, but cluster/ uses ` +
          `@aws-cdk/lambda-layer-kubectl-v${kubectlLayerVersion.replace('1.', '')}: install ` +
          `@aws-cdk/lambda-layer-kubectl-v${props.kubernetesVersion.replace('1.', '')} and update kubectlLayerVersion`,
      );
    }
    const addonVersions = props.addonVersions ?? managedAddonVersions;
    checkAddonVersions(addonVersions, props.kubernetesVersion);
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
      encryptionKey: props.logEncryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const cfnCluster = this.cluster.node.defaultChild;
    if (!(cfnCluster instanceof eks.CfnCluster)) throw new Error('aws-eks-v2 Cluster resource not found');
    cfnCluster.node.addDependency(controlPlaneLogs);
    // Standard support only: the cluster is upgraded within its 14 months, never billed for extended support.
    cfnCluster.upgradePolicy = { supportType: 'STANDARD' };

    this.cluster.clusterSecurityGroup.addIngressRule(
      kubectlHandlerSecurityGroup,
      ec2.Port.tcp(443),
      'kubectl/helm handler to the Kubernetes API',
    );
    this.cluster.grantClusterAdmin('AdminRoleAccess', props.adminRoleArn);

    // The cluster starts with self-managed vpc-cni, coredns and kube-proxy: the managed add-ons take them over
    // (OVERWRITE), pinned. The NetworkPolicies in charts-out/ are only enforced when the VPC CNI runs its network
    // policy agent.
    this.addons = {
      vpcCni: this.managedAddon('VpcCni', 'vpc-cni', addonVersions.vpcCni, { enableNetworkPolicy: 'true' }),
      coreDns: this.managedAddon('CoreDns', 'coredns', addonVersions.coreDns),
      kubeProxy: this.managedAddon('KubeProxy', 'kube-proxy', addonVersions.kubeProxy),
      // The agent aws-eks-v2 creates for Pod Identity (the add-ons' roles use it), pinned like the others.
      podIdentityAgent: this.pinAddon(this.cluster.eksPodIdentityAgent, addonVersions.podIdentityAgent),
    };

    // IMDSv2 only, one hop: a pod (its own network namespace, one hop further) cannot take the node role's
    // credentials from the instance metadata service. Nothing in a pod needs it: the ALB controller is given its
    // region and VPC, and every add-on gets its role through EKS Pod Identity. The root volume is encrypted gp3.
    const nodeLaunchTemplate = new ec2.LaunchTemplate(this, 'NodeLaunchTemplate', {
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      // One-minute instance metrics (detailed monitoring), as the Control Tower launch-template control asks.
      detailedMonitoring: true,
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

    // CoreDNS pods and the agent's DaemonSet need nodes to become ACTIVE.
    this.addons.coreDns.node.addDependency(this.nodeGroup);
    this.addons.podIdentityAgent.node.addDependency(this.nodeGroup);

    acknowledgeClusterFindings(this.cluster, this.nodeGroup, props.apiPublicAccessCidrs);
  }

  private managedAddon(
    id: string,
    addonName: string,
    version: string,
    configurationValues?: Record<string, string>,
  ): eks.Addon {
    const addon = new eks.Addon(this, id, {
      cluster: this.cluster,
      addonName,
      addonVersion: version,
      configurationValues,
      preserveOnDelete: true,
    });
    (addon.node.defaultChild as eks.CfnAddon).resolveConflicts = 'OVERWRITE';
    return addon;
  }

  private pinAddon(addon: eks.IAddon | undefined, version: string): eks.IAddon {
    const resource = addon?.node.defaultChild;
    if (!(resource instanceof eks.CfnAddon)) throw new Error('aws-eks-v2 did not create the Pod Identity agent add-on');
    resource.addonVersion = version;
    resource.resolveConflicts = 'OVERWRITE';
    return addon as eks.IAddon;
  }
}
