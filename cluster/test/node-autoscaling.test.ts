import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { environments } from '../../platform/environments.js';
import { clusterConfigs } from '../config/environments.js';
import { chartPins } from '../lib/addons/charts.js';
import { interruptionEvents, karpenterServiceAccount } from '../lib/addons/karpenter/index.js';
import {
  allResources,
  helmValues,
  assertPodIdentityTrust,
  podIdentity,
  kubernetesResources,
  resources,
  single,
  useSynthesizedCluster,
  type SynthesizedCluster,
} from './support/synth.js';

const synthesized = useSynthesizedCluster();
type Template = ReturnType<SynthesizedCluster['environment']>;
const configs = new Map(clusterConfigs().map((config) => [config.environment.name, config]));

interface Statement {
  Sid?: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

function karpenterStatements(template: Template): Statement[] {
  return podIdentity(template, chartPins.karpenter.namespace, karpenterServiceAccount).statements;
}

interface KarpenterManifest {
  kind: string;
  spec: {
    metadataOptions: unknown;
    blockDeviceMappings: unknown;
    subnetSelectorTerms: unknown;
    securityGroupSelectorTerms: unknown;
    limits: { cpu: string };
    template: { spec: { requirements: { key: string; values: string[] }[] } };
  };
}

function manifestsOfKind(template: Template, kind: string): KarpenterManifest[] {
  return kubernetesResources(template)
    .flatMap(([, manifests]) => manifests)
    .filter((manifest) => manifest.kind === kind) as unknown as KarpenterManifest[];
}

for (const environment of environments) {
  const config = configs.get(environment.name)!;
  const clusterName = `desktop-backend-${environment.name}`;

  describe(`Karpenter in ${environment.name}`, () => {
    const template = () => synthesized().environment(environment.name);

    it('installs the pinned chart from the OCI registry, pointed at the cluster and its interruption queue', () => {
      const [chartId, chart] = single(template(), 'Custom::AWSCDK-EKS-HelmChart', { Chart: 'karpenter' });
      assert.equal(chart.Properties.Repository, chartPins.karpenter.repository);
      assert.equal(chart.Properties.Version, chartPins.karpenter.version);
      // The CRDs follow the pin: the karpenter-crd chart of the same version, before the controller, which skips its own.
      const [crdId, crds] = single(template(), 'Custom::AWSCDK-EKS-HelmChart', { Chart: 'karpenter-crd' });
      assert.equal(crds.Properties.Repository, chartPins.karpenterCrd.repository);
      assert.equal(crds.Properties.Version, chartPins.karpenter.version);
      assert.equal(chart.Properties.SkipCrds, true);
      const dependsOn = (template().toJSON() as { Resources: Record<string, { DependsOn?: string[] }> }).Resources[
        chartId
      ]!.DependsOn;
      assert.ok(dependsOn?.includes(crdId), 'the CRDs before the controller');
      const values = helmValues(chart) as {
        settings: { clusterName: string; interruptionQueue: unknown };
        serviceAccount: { create: boolean; name: string };
        serviceMonitor: { enabled: boolean };
      };
      assert.equal(values.settings.clusterName, clusterName);
      assert.equal(values.settings.interruptionQueue, '<token>', 'the queue created here');
      assert.deepEqual(values.serviceAccount, { create: true, name: karpenterServiceAccount });
      assert.equal(values.serviceMonitor.enabled, true);
    });

    it('feeds every interruption event to an encrypted, TLS-only queue that keeps notices five minutes', () => {
      const [queueId, queue] = single(template(), 'AWS::SQS::Queue');
      assert.equal(queue.Properties.SqsManagedSseEnabled, true);
      assert.equal(queue.Properties.MessageRetentionPeriod, 300);
      const rules = resources(template(), 'AWS::Events::Rule');
      const detailTypes = rules.map(
        ([, rule]) => (rule.Properties.EventPattern as { 'detail-type': string[] })['detail-type'][0],
      );
      assert.deepEqual(
        detailTypes.sort(),
        Object.values(interruptionEvents)
          .map((event) => event.detailType[0])
          .sort(),
      );
      for (const [, rule] of rules) assert.match(JSON.stringify(rule.Properties.Targets), new RegExp(queueId));
      const [, queuePolicy] = single(template(), 'AWS::SQS::QueuePolicy');
      const policyText = JSON.stringify(queuePolicy.Properties.PolicyDocument);
      assert.match(policyText, /"aws:SecureTransport":"false"/);
      assert.match(policyText, /events\.amazonaws\.com/);
    });

    it('lets the controller launch and terminate only what is tagged for this cluster, and pass only its node role', () => {
      const statements = karpenterStatements(template());
      const bySid = new Map(statements.map((statement) => [statement.Sid, statement]));
      const deletion = bySid.get('AllowScopedDeletion')!;
      assert.deepEqual(deletion.Condition!.StringEquals, {
        [`aws:ResourceTag/kubernetes.io/cluster/${clusterName}`]: 'owned',
      });
      const create = bySid.get('AllowScopedEC2InstanceActionsWithTags')!;
      assert.equal(create.Condition!.StringEquals![`aws:RequestTag/eks:eks-cluster-name`], clusterName);
      const passRole = bySid.get('AllowPassingInstanceRole')!;
      assert.match(JSON.stringify(passRole.Resource), /KarpenterNodeRole/);
      // Nothing outside EC2, IAM instance profiles, this cluster, its queue, SSM AMI parameters and pricing.
      const actions = statements.flatMap((statement) => statement.Action);
      for (const action of actions) assert.match(action, /^(ec2|iam|eks|sqs|ssm|pricing):/);
      assert.ok(!actions.includes('iam:CreateRole') && !actions.includes('iam:AttachRolePolicy'));
      const unscoped = statements.filter((statement) => statement.Resource === '*');
      for (const statement of unscoped) {
        for (const action of [statement.Action].flat()) {
          assert.match(action, /^(ec2:Describe|pricing:GetProducts$|iam:ListInstanceProfiles$)/, action);
        }
      }
      assertPodIdentityTrust(
        podIdentity(template(), chartPins.karpenter.namespace, karpenterServiceAccount),
        chartPins.karpenter.namespace,
        karpenterServiceAccount,
      );
    });

    it('launches nodes like the managed node group: IMDSv2 only, encrypted gp3, node subnets and cluster security group', () => {
      const [nodeClass] = manifestsOfKind(template(), 'EC2NodeClass');
      assert.ok(nodeClass);
      assert.deepEqual(nodeClass.spec.metadataOptions, {
        httpEndpoint: 'enabled',
        httpProtocolIPv6: 'disabled',
        httpPutResponseHopLimit: 1,
        httpTokens: 'required',
      });
      assert.deepEqual(nodeClass.spec.blockDeviceMappings, [
        {
          deviceName: '/dev/xvda',
          ebs: {
            volumeSize: `${config.settings.karpenter.rootVolumeGiB}Gi`,
            volumeType: 'gp3',
            encrypted: true,
            deleteOnTermination: true,
          },
        },
      ]);
      assert.deepEqual(nodeClass.spec.subnetSelectorTerms, [{ tags: { 'karpenter.sh/discovery': clusterName } }]);
      assert.deepEqual(nodeClass.spec.securityGroupSelectorTerms, [{ tags: { 'aws:eks:cluster-name': clusterName } }]);
      // The discovery tag is on the node subnets and on no other subnet.
      const tagged = resources(template(), 'AWS::EC2::Subnet').filter(([, subnet]) =>
        JSON.stringify(subnet.Properties.Tags).includes('"karpenter.sh/discovery"'),
      );
      assert.equal(tagged.length, environment.production ? 3 : 2);
      for (const [id] of tagged) assert.match(id, /nodes/i);
    });

    it('caps the NodePool at the configured vCPUs and capacity types, amd64 only', () => {
      const [pool] = manifestsOfKind(template(), 'NodePool');
      assert.ok(pool);
      assert.equal(pool.spec.limits.cpu, String(config.settings.karpenter.cpuLimit));
      const requirement = (key: string) => pool.spec.template.spec.requirements.find((r) => r.key === key)!.values;
      assert.deepEqual(requirement('karpenter.sh/capacity-type'), config.settings.karpenter.capacityTypes);
      assert.deepEqual(requirement('kubernetes.io/arch'), ['amd64']);
      if (environment.production) assert.deepEqual(requirement('karpenter.sh/capacity-type'), ['on-demand']);
    });

    it('lets Karpenter nodes join through an EC2 access entry for their own role', () => {
      const entries = resources(template(), 'AWS::EKS::AccessEntry').filter(
        ([, entry]) => entry.Properties.Type === 'EC2_LINUX',
      );
      assert.equal(entries.length, 1);
      assert.match(JSON.stringify(entries[0]![1].Properties.PrincipalArn), /KarpenterNodeRole/);
      const role =
        allResources(template())[
          JSON.stringify(entries[0]![1].Properties.PrincipalArn).match(/"(BaselineKarpenter[^"]+)"/)![1]!
        ]!;
      assert.match(JSON.stringify(role.Properties.AssumeRolePolicyDocument), /ec2\.amazonaws\.com/);
    });
  });
}
