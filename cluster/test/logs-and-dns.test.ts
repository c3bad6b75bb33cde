import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { environments } from '../../platform/environments.js';
import { clusterConfigs } from '../config/environments.js';
import { chartPins } from '../lib/addons/charts.js';
import {
  containerLogGroupName,
  containerLogStreamTemplate,
  fluentBitServiceAccount,
} from '../lib/addons/container-logs/index.js';
import { externalDnsServiceAccount } from '../lib/addons/external-dns/index.js';
import {
  allResources,
  helmValues,
  assertPodIdentityTrust,
  podIdentity,
  single,
  useSynthesizedCluster,
} from './support/synth.js';

const synthesized = useSynthesizedCluster();
const configs = new Map(clusterConfigs().map((config) => [config.environment.name, config]));

for (const environment of environments) {
  const { settings } = configs.get(environment.name)!;
  const clusterName = `desktop-backend-${environment.name}`;

  describe(`container logs in ${environment.name}`, () => {
    const template = () => synthesized().environment(environment.name);

    it('keeps them in a KMS-encrypted log group with the environment retention, past the life of any pod', () => {
      const [, group] = single(template(), 'AWS::Logs::LogGroup', { LogGroupName: containerLogGroupName(clusterName) });
      assert.equal(group.Properties.RetentionInDays, settings.logRetentionDays);
      assert.ok(group.Properties.KmsKeyId, 'encrypted with a KMS key');
      assert.equal(group.DeletionPolicy, 'Retain');
      const keyId = (group.Properties.KmsKeyId as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const key = allResources(template())[keyId]!;
      assert.equal(key.Properties.EnableKeyRotation, true);
      // CloudWatch Logs may use the key for this log group only.
      assert.match(JSON.stringify(key.Properties.KeyPolicy), /kms:EncryptionContext:aws:logs:arn/);
    });

    it('ships each container to its own stream named after namespace, pod and container', () => {
      const [, chart] = single(template(), 'Custom::AWSCDK-EKS-HelmChart', { Chart: 'aws-for-fluent-bit' });
      assert.equal(chart.Properties.Version, chartPins.awsForFluentBit.version);
      const values = helmValues(chart) as {
        cloudWatchLogs: Record<string, unknown>;
        tolerations: unknown[];
        firehose: { enabled: boolean };
        kinesis: { enabled: boolean };
      };
      assert.deepEqual(
        {
          enabled: values.cloudWatchLogs.enabled,
          logGroupName: values.cloudWatchLogs.logGroupName,
          logStreamTemplate: values.cloudWatchLogs.logStreamTemplate,
          autoCreateGroup: values.cloudWatchLogs.autoCreateGroup,
          region: values.cloudWatchLogs.region,
        },
        {
          enabled: true,
          logGroupName: containerLogGroupName(clusterName),
          logStreamTemplate: containerLogStreamTemplate,
          autoCreateGroup: false,
          region: environment.aws.region,
        },
      );
      assert.deepEqual(values.tolerations, [{ operator: 'Exists' }], 'runs on every node');
      assert.equal(values.firehose.enabled, false);
      assert.equal(values.kinesis.enabled, false);
    });

    it('lets Fluent Bit write streams into that group and nothing else', () => {
      const { namespace } = chartPins.awsForFluentBit;
      const identity = podIdentity(template(), namespace, fluentBitServiceAccount);
      assertPodIdentityTrust(identity, namespace, fluentBitServiceAccount);
      const statements = identity.statements;
      const actions = statements.flatMap((statement) => statement.Action).sort();
      assert.deepEqual(actions, ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents']);
      const resourcesText = JSON.stringify(statements.map((statement) => statement.Resource));
      assert.ok(resourcesText.includes(`log-group:${containerLogGroupName(clusterName)}`));
      assert.doesNotMatch(resourcesText, /log-group:\*|"\*"/);
    });
  });

  describe(`external-dns in ${environment.name}`, () => {
    const template = () => synthesized().environment(environment.name);
    const zone = settings.hostedZone!;

    it('watches Ingresses only, in the hosted zone of the environment, owning records by cluster', () => {
      const [, chart] = single(template(), 'Custom::AWSCDK-EKS-HelmChart', { Chart: 'external-dns' });
      assert.equal(chart.Properties.Version, chartPins.externalDns.version);
      const values = helmValues(chart);
      assert.deepEqual(values.sources, ['ingress']);
      assert.deepEqual(values.domainFilters, [zone.name]);
      assert.ok((values.extraArgs as string[]).includes(`--zone-id-filter=${zone.id}`));
      assert.equal(values.txtOwnerId, clusterName);
      assert.equal(values.registry, 'txt');
      assert.ok(`.${environment.host}`.endsWith(`.${zone.name}`), 'the host is in the zone');
    });

    it('may change records of that one zone only', () => {
      const { namespace } = chartPins.externalDns;
      const identity = podIdentity(template(), namespace, externalDnsServiceAccount);
      assertPodIdentityTrust(identity, namespace, externalDnsServiceAccount);
      const statements = identity.statements;
      const change = statements.find((statement) =>
        [statement.Action].flat().includes('route53:ChangeResourceRecordSets'),
      )!;
      assert.deepEqual(change.Resource, `arn:aws:route53:::hostedzone/${zone.id}`);
      const unscoped = statements.filter((statement) => JSON.stringify(statement.Resource) === '"*"');
      assert.deepEqual(
        unscoped.flatMap((statement) => [statement.Action].flat()),
        ['route53:ListHostedZones'],
      );
    });
  });
}
