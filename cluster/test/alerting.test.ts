import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { environments, monitoring } from '../../platform/environments.js';
import { clusterConfigs } from '../config/environments.js';
import { alertmanagerServiceAccount } from '../lib/addons/kube-prometheus-stack/index.js';
import { alertmanagerConfig, snsReceiver, type AlertmanagerConfigInput } from '../lib/alerting/index.js';
import {
  assertPodIdentityTrust,
  helmValues,
  podIdentity,
  resources,
  single,
  transitiveDependencies,
  useSynthesizedCluster,
} from './support/synth.js';

const synthesized = useSynthesizedCluster();
const scratch = mkdtempSync(join(tmpdir(), 'alertmanager-'));
after(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** Runs Debian's amtool (prometheus-alertmanager) on a rendered configuration. */
function checkConfig(config: Record<string, unknown>): { status: number | null; output: string } {
  const file = join(scratch, `alertmanager-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(file, stringify(config));
  const run = spawnSync('amtool', ['check-config', file], { encoding: 'utf8', timeout: 30_000 });
  if (run.error) throw run.error;
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

function routesTo(config: Record<string, unknown>, labels: Record<string, string>): string {
  const file = join(scratch, `route-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(file, stringify(config));
  const run = spawnSync(
    'amtool',
    ['config', 'routes', 'test', `--config.file=${file}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)],
    { encoding: 'utf8', timeout: 30_000 },
  );
  if (run.error) throw run.error;
  return run.stdout.trim();
}

const settingsOf = (name: string) => clusterConfigs().find(({ environment }) => environment.name === name)!.settings;

function rendered(name: string): Record<string, unknown> {
  const environment = environments.find((env) => env.name === name)!;
  const input: AlertmanagerConfigInput = {
    ...settingsOf(name).alerting,
    topicArn: `arn:aws:sns:${environment.aws.region}:${environment.aws.account}:desktop-backend-${name}-alerts`,
    region: environment.aws.region,
    environmentName: name,
  };
  return alertmanagerConfig(input);
}

describe('Alertmanager configuration (amtool check-config)', () => {
  for (const environment of environments) {
    it(`is a valid configuration for ${environment.name}, with an SNS receiver signed by SigV4`, () => {
      const result = checkConfig(rendered(environment.name));
      assert.equal(result.status, 0, result.output);
      assert.match(result.output, /SUCCESS/);
      assert.match(result.output, /2 receivers/);
      const receiver = (rendered(environment.name).receivers as { name: string; sns_configs?: unknown[] }[]).find(
        (r) => r.name === snsReceiver,
      );
      assert.deepEqual((receiver?.sns_configs?.[0] as { sigv4: unknown }).sigv4, { region: environment.aws.region });
    });
  }

  it('fails amtool on a broken configuration (the check can fail)', () => {
    const broken = { ...rendered('production'), route: { receiver: 'nobody' } };
    const result = checkConfig(broken);
    assert.notEqual(result.status, 0);
    assert.match(result.output, /undefined receiver "nobody"/);
  });

  it('routes every production warning and critical alert to SNS, and the Watchdog to nobody', () => {
    const config = rendered('production');
    assert.equal(routesTo(config, { alertname: 'DesktopBackendDown', severity: 'critical' }), snsReceiver);
    assert.equal(routesTo(config, { alertname: 'HighLatency', severity: 'warning' }), snsReceiver);
    assert.equal(routesTo(config, { alertname: 'Watchdog', severity: 'none' }), 'null');
    assert.equal(routesTo(config, { alertname: 'Something', severity: 'info' }), 'null');
  });

  it('routes staging differently: only critical alerts notify, less often', () => {
    const config = rendered('staging');
    assert.equal(routesTo(config, { alertname: 'DesktopBackendDown', severity: 'critical' }), snsReceiver);
    assert.equal(routesTo(config, { alertname: 'HighLatency', severity: 'warning' }), 'null');
    const repeat = (c: Record<string, unknown>) => (c.route as { repeat_interval: string }).repeat_interval;
    assert.notEqual(repeat(config), repeat(rendered('production')));
  });
});

for (const environment of environments) {
  describe(`alert delivery of ${environment.name}`, () => {
    const template = () => synthesized().environment(environment.name);

    it('creates an encrypted, TLS-only SNS topic with the subscriptions of its configuration', () => {
      const [topicId, topic] = single(template(), 'AWS::SNS::Topic');
      assert.ok(topic.Properties.KmsMasterKeyId, 'encrypted');
      const subscriptions = resources(template(), 'AWS::SNS::Subscription').map(([, s]) => ({
        protocol: s.Properties.Protocol,
        endpoint: s.Properties.Endpoint,
      }));
      assert.deepEqual(subscriptions, settingsOf(environment.name).alerting.subscriptions);
      for (const [, s] of resources(template(), 'AWS::SNS::Subscription')) {
        assert.deepEqual(s.Properties.TopicArn, { Ref: topicId });
      }
      const [, policy] = single(template(), 'AWS::SNS::TopicPolicy');
      assert.match(JSON.stringify(policy.Properties.PolicyDocument), /"aws:SecureTransport":"false"/);
    });

    it("gives Alertmanager's service account a Pod Identity role that may only publish to that topic", () => {
      const identity = podIdentity(template(), monitoring.namespace, alertmanagerServiceAccount);
      assertPodIdentityTrust(identity, monitoring.namespace, alertmanagerServiceAccount);
      const [topicId] = single(template(), 'AWS::SNS::Topic');
      assert.deepEqual(
        identity.statements.map(({ Effect, Action, Resource }) => ({ Effect, Action, Resource })),
        [{ Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: topicId } }],
      );
      assert.equal(identity.role.Properties.ManagedPolicyArns, undefined);
    });

    it('hands kube-prometheus-stack the rendered routing, with the topic and the service account', () => {
      const [chartId, chart] = single(template(), 'Custom::AWSCDK-EKS-HelmChart', { Chart: 'kube-prometheus-stack' });
      const alertmanager = helmValues(chart).alertmanager as {
        serviceAccount: { name: string };
        config: { receivers: { name: string; sns_configs?: { topic_arn: string }[] }[] };
      };
      assert.equal(alertmanager.serviceAccount.name, alertmanagerServiceAccount);
      const expected = rendered(environment.name) as typeof alertmanager.config;
      const sns = expected.receivers.find((r) => r.name === snsReceiver)!.sns_configs![0]!;
      sns.topic_arn = '<token>';
      assert.deepEqual(alertmanager.config, expected);
      const identity = podIdentity(template(), monitoring.namespace, alertmanagerServiceAccount);
      assert.ok(transitiveDependencies(template(), chartId).has(identity.roleId), 'credentials before the pods');
    });
  });
}
