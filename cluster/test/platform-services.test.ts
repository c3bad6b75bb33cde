import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { environments, monitoring } from '../../platform/environments.js';
import { argoRolloutsServiceAccount, targetGroupVerificationActions } from '../lib/addons/argo-rollouts/index.js';
import { chartPins } from '../lib/addons/charts.js';
import { interfaceEndpointServices } from '../lib/vpc-endpoints/index.js';
import { valkeyPorts } from '../lib/valkey-cache/index.js';
import {
  allResources,
  helmValues,
  assertPodIdentityTrust,
  podIdentity,
  resources,
  single,
  useSynthesizedCluster,
  type Resource,
  type SynthesizedCluster,
} from './support/synth.js';

const synthesized = useSynthesizedCluster();
type Template = ReturnType<SynthesizedCluster['environment']>;

function ingressRulesOf(template: Template, groupId: string): Record<string, unknown>[] {
  const inline = (allResources(template)[groupId]?.Properties.SecurityGroupIngress ?? []) as Record<string, unknown>[];
  const separate = resources(template, 'AWS::EC2::SecurityGroupIngress')
    .filter(([, rule]) => JSON.stringify(rule.Properties.GroupId).includes(`"${groupId}"`))
    .map(([, rule]) => rule.Properties);
  return [...inline, ...separate];
}

for (const environment of environments) {
  describe(`Argo Rollouts in ${environment.name}`, () => {
    const template = () => synthesized().environment(environment.name);
    const rollouts = (): Resource => single(template(), 'Custom::AWSCDK-EKS-HelmChart', { Chart: 'argo-rollouts' })[1];

    it('installs the pinned chart with its dashboard off and its metrics scraped by the platform Prometheus', () => {
      const chart = rollouts();
      assert.equal(chart.Properties.Version, chartPins.argoRollouts.version);
      assert.equal(chart.Properties.Repository, 'https://argoproj.github.io/argo-helm');
      const values = helmValues(chart) as {
        dashboard: { enabled: boolean };
        keepCRDs: boolean;
        controller: {
          replicas: number;
          pdb: { enabled: boolean };
          awsVerifyTargetGroup: boolean;
          metrics: { enabled: boolean; serviceMonitor: { enabled: boolean; additionalLabels: unknown } };
        };
        providerRBAC: { providers: Record<string, boolean> };
      };
      assert.equal(values.dashboard.enabled, false);
      assert.equal(values.keepCRDs, true, 'removing the chart must not delete every Rollout');
      assert.equal(values.controller.metrics.enabled, true);
      assert.deepEqual(values.controller.metrics.serviceMonitor, {
        enabled: true,
        additionalLabels: monitoring.prometheusSelectorLabels,
      });
      assert.ok(values.controller.replicas >= 2 && values.controller.pdb.enabled, 'HA with a disruption budget');
      // Only the ALB traffic router gets RBAC: no mesh or gateway permissions nobody uses.
      const granted = Object.entries(values.providerRBAC.providers).filter(([, on]) => on);
      assert.deepEqual(granted, [['awsLoadBalancerController', true]]);
      assert.equal(values.controller.awsVerifyTargetGroup, true);
    });

    it('gives the controller read-only Elastic Load Balancing access through Pod Identity, for its own account only', () => {
      const identity = podIdentity(template(), chartPins.argoRollouts.namespace, argoRolloutsServiceAccount);
      assertPodIdentityTrust(identity, chartPins.argoRollouts.namespace, argoRolloutsServiceAccount);
      const actions = identity.statements.flatMap((statement) => statement.Action);
      assert.deepEqual(actions.sort(), [...targetGroupVerificationActions].sort());
      assert.ok(actions.every((action) => action.startsWith('elasticloadbalancing:Describe')));
    });
  });

  describe(`ElastiCache Serverless (Valkey) in ${environment.name}`, () => {
    const template = () => synthesized().environment(environment.name);
    const cache = (): [string, Resource] => single(template(), 'AWS::ElastiCache::ServerlessCache');

    it('runs Valkey with usage ceilings in the isolated database subnets', () => {
      const [, resource] = cache();
      assert.equal(resource.Properties.Engine, 'valkey');
      assert.match(String(resource.Properties.MajorEngineVersion), /^\d+$/);
      const limits = resource.Properties.CacheUsageLimits as Record<string, { Maximum: number }>;
      assert.ok(limits.DataStorage!.Maximum >= 1 && limits.ECPUPerSecond!.Maximum >= 1000);
      const subnetIds = JSON.stringify(resource.Properties.SubnetIds);
      assert.match(subnetIds, /databaseSubnet/i);
      assert.doesNotMatch(subnetIds, /nodesSubnet|publicSubnet/i);
    });

    it('admits only the cluster security group, on the Valkey ports, and sends nothing out', () => {
      const [, resource] = cache();
      const [groupRef] = resource.Properties.SecurityGroupIds as [{ 'Fn::GetAtt': [string, string] }];
      const groupId = groupRef['Fn::GetAtt'][0];
      const rules = ingressRulesOf(template(), groupId);
      assert.equal(rules.length, 1);
      const [rule] = rules as [Record<string, unknown>];
      assert.deepEqual([rule.FromPort, rule.ToPort], [valkeyPorts.primary, valkeyPorts.reader]);
      assert.match(JSON.stringify(rule.SourceSecurityGroupId), /ClusterSecurityGroupId/);
      assert.equal(rule.CidrIp, undefined);
      const egress = allResources(template())[groupId]!.Properties.SecurityGroupEgress as { CidrIp: string }[];
      assert.deepEqual(
        egress.map((e) => e.CidrIp),
        ['255.255.255.255/32'],
        'no egress',
      );
    });

    it('lets in only one password user, whose ACL allows pub/sub but no key command', () => {
      const [, group] = single(template(), 'AWS::ElastiCache::UserGroup');
      assert.equal(group.Properties.Engine, 'valkey');
      assert.equal((group.Properties.UserIds as unknown[]).length, 1);
      const [, user] = single(template(), 'AWS::ElastiCache::User');
      assert.equal((user.Properties.AuthenticationMode as { Type: string }).Type, 'password');
      const access = String(user.Properties.AccessString);
      assert.match(access, /^on /);
      assert.match(access, /-@all/);
      assert.match(access, /\+@pubsub/);
      assert.doesNotMatch(access, /\+@(all|write|read|keyspace|dangerous|admin)/);
      assert.equal(user.Properties.NoPasswordRequired, undefined);
    });

    it('publishes host, port, username and password under the shared secret name, with no password in the template', () => {
      const [, secret] = single(template(), 'AWS::SecretsManager::Secret', {
        Name: environment.secrets.redis,
      });
      const text = JSON.stringify(secret.Properties.SecretString);
      for (const key of ['host', 'port', 'username', 'password']) assert.match(text, new RegExp(`\\\\"${key}\\\\"`));
      assert.match(text, /Endpoint\.Address/);
      assert.match(text, /Endpoint\.Port/);
      assert.match(text, /\{\{resolve:secretsmanager:/, 'the password is a dynamic reference');
      // The generated password's secret is the one the user and the connection secret both resolve.
      const [, user] = single(template(), 'AWS::ElastiCache::User');
      assert.match(JSON.stringify(user.Properties.AuthenticationMode), /\{\{resolve:secretsmanager:/);
    });
  });

  describe(`VPC endpoints in ${environment.name}`, () => {
    const template = () => synthesized().environment(environment.name);

    it('routes S3 through a gateway endpoint on the node subnets', () => {
      const [, gateway] = single(template(), 'AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway' });
      assert.match(JSON.stringify(gateway.Properties.ServiceName), /\.s3/);
      assert.match(JSON.stringify(gateway.Properties.RouteTableIds), /nodesSubnet/i);
    });

    it('reaches ECR, STS, EKS Auth, Secrets Manager, CloudWatch Logs and SNS privately, admitting HTTPS from the VPC only', () => {
      const interfaces = resources(template(), 'AWS::EC2::VPCEndpoint').filter(
        ([, endpoint]) => endpoint.Properties.VpcEndpointType === 'Interface',
      );
      const services = interfaces.map(([, endpoint]) => JSON.stringify(endpoint.Properties.ServiceName));
      // eks-auth: every Pod Identity credential (the add-ons' roles) comes from it, not from STS.
      for (const short of ['ecr.api', 'ecr.dkr', 'sts', 'eks-auth', 'secretsmanager', 'logs', 'sns']) {
        assert.ok(
          services.some((name) => name.includes(`.${short}`)),
          `interface endpoint for ${short}`,
        );
      }
      assert.equal(interfaces.length, Object.keys(interfaceEndpointServices).length);
      for (const [, endpoint] of interfaces) {
        assert.equal(endpoint.Properties.PrivateDnsEnabled, true);
        assert.match(JSON.stringify(endpoint.Properties.SubnetIds), /nodesSubnet/i);
        const [groupRef] = endpoint.Properties.SecurityGroupIds as [{ 'Fn::GetAtt': [string, string] }];
        const rules = ingressRulesOf(template(), groupRef['Fn::GetAtt'][0]);
        assert.deepEqual(
          rules.map((rule) => [rule.CidrIp, rule.FromPort, rule.ToPort]),
          [[environment.vpcCidr, 443, 443]],
        );
      }
    });
  });
}
