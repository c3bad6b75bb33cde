import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IRollout } from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { monitoring } from '../../../platform/environments.js';
import { serverContract } from '../../../platform/server-contract.js';
import { argoAnnotations } from '../../lib/sync-waves.js';
import { ServerNetworkPolicy } from '../../lib/network-policy/index.js';
import type { ServerNetworkPolicyProps } from '../../lib/network-policy/index.js';
import { assertRefused, freshChart } from '../refusals.js';
import { environments, findObject } from '../rendered.js';

const namespaceLabel = 'kubernetes.io/metadata.name';

function selects(policy: INetworkPolicy, podLabels: Record<string, string>): boolean {
  return Object.entries(policy.spec!.podSelector!.matchLabels ?? {}).every(([key, value]) => podLabels[key] === value);
}

/** Out only to cluster DNS (CoreDNS in kube-system) and to MySQL in the environment's VPC. */
function assertDnsAndMysqlOnly(egress: NonNullable<INetworkPolicy['spec']>['egress'], vpcCidr: string) {
  assert.ok(egress && egress.length === 2);
  const [dns, mysql] = egress;
  assert.deepEqual(dns!.to![0]!.namespaceSelector?.matchLabels, { [namespaceLabel]: 'kube-system' });
  assert.deepEqual(dns!.to![0]!.podSelector?.matchLabels, { 'k8s-app': 'kube-dns' });
  assert.deepEqual(dns!.ports!.map((port) => `${port.protocol}/${port.port}`).sort(), ['TCP/53', 'UDP/53']);
  assert.deepEqual(mysql!.to, [{ ipBlock: { cidr: vpcCidr } }]);
  assert.deepEqual(mysql!.ports, [{ port: 3306, protocol: 'TCP' }]);
}

for (const env of environments) {
  const policy = findObject(env.name, 'NetworkPolicy', 'desktop-backend') as unknown as INetworkPolicy;
  const migrationPolicy = findObject(env.name, 'NetworkPolicy', 'desktop-backend-migrate') as unknown as INetworkPolicy;
  const serverPods = (findObject(env.name, 'Rollout') as unknown as IRollout).spec.template!.metadata!.labels!;
  const job = findObject(env.name, 'Job') as unknown as IJob;
  const migrationPods = job.spec!.template.metadata!.labels!;
  const spec = policy.spec!;

  describe(`NetworkPolicy (${env.name})`, () => {
    it('isolates the server pods in both directions', () => {
      assert.ok(selects(policy, serverPods));
      assert.ok(!selects(policy, migrationPods));
      assert.deepEqual([...spec.policyTypes!].sort(), ['Egress', 'Ingress']);
    });

    it('admits only the app port from the VPC (the ALB) and the metrics port from the monitoring namespace', () => {
      const rules = spec.ingress!.map((rule) => ({
        ports: rule.ports!.map((port) => port.port),
        from: rule.from!.map((peer) => peer.ipBlock?.cidr ?? peer.namespaceSelector?.matchLabels?.[namespaceLabel]),
      }));
      assert.deepEqual(rules, [
        { ports: [serverContract.httpPort], from: [env.vpcCidr] },
        { ports: [serverContract.metricsPort], from: [monitoring.namespace] },
      ]);
    });

    it('lets the pods out only to cluster DNS and to MySQL in the VPC', () => {
      assertDnsAndMysqlOnly(spec.egress, env.vpcCidr);
    });
  });

  describe(`migration NetworkPolicy (${env.name})`, () => {
    it('selects the migration Job pods and not the server pods', () => {
      assert.ok(selects(migrationPolicy, migrationPods));
      assert.ok(!selects(migrationPolicy, serverPods));
    });

    it('admits nothing in and lets the pods out only to cluster DNS and to MySQL in the VPC', () => {
      assert.deepEqual([...migrationPolicy.spec!.policyTypes!].sort(), ['Egress', 'Ingress']);
      assert.deepEqual(migrationPolicy.spec!.ingress ?? [], []);
      assertDnsAndMysqlOnly(migrationPolicy.spec!.egress, env.vpcCidr);
    });

    it('is in place before the migration pod starts, even on the first sync (a PreSync hook in an earlier wave)', () => {
      const annotations = migrationPolicy.metadata!.annotations!;
      const jobAnnotations = job.metadata!.annotations!;
      assert.equal(annotations[argoAnnotations.hook], 'PreSync');
      assert.equal(jobAnnotations[argoAnnotations.hook], 'PreSync');
      assert.ok(Number(annotations[argoAnnotations.syncWave]) < Number(jobAnnotations[argoAnnotations.syncWave]));
      // Deleted only when the next sync re-creates it: never while the Job may run.
      assert.equal(annotations[argoAnnotations.hookDeletePolicy], 'BeforeHookCreation');
    });
  });
}

describe('ServerNetworkPolicy props', () => {
  const valid = (chart: Chart): ServerNetworkPolicyProps => ({
    name: 'desktop-backend',
    pods: kplus.Pods.select(chart, 'pods', { labels: { 'app.kubernetes.io/component': 'server' } }),
    vpcCidr: '10.10.0.0/16',
    httpPort: 4000,
    metricsPort: 9464,
    monitoringNamespace: monitoring.namespace,
  });
  const build = (overrides: Partial<ServerNetworkPolicyProps>) => (chart: Chart) =>
    new ServerNetworkPolicy(chart, 'policy', { ...valid(chart), ...overrides });

  it('accepts the props the charts use', () => {
    const chart = freshChart();
    assert.doesNotThrow(() => new ServerNetworkPolicy(chart, 'policy', valid(chart)));
  });

  it('refuses a CIDR that is not one, and the same port for the API and the metrics', () => {
    assertRefused(build({ vpcCidr: '10.10.0.0/33' }), 'ServerNetworkPolicy', 'vpcCidr');
    assertRefused(build({ vpcCidr: '10.10.0.0' }), 'ServerNetworkPolicy', 'vpcCidr');
    assertRefused(build({ metricsPort: 4000 }), 'ServerNetworkPolicy', 'metricsPort', /differ/);
  });
});
