import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IRollout } from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { monitoring } from '../../../platform/environments.js';
import type { Environment } from '../../../platform/environments.js';
import { environmentSubnets } from '../../../platform/network.js';
import { serverContract } from '../../../platform/server-contract.js';
import { argoAnnotations } from '../../lib/sync-waves.js';
import { ServerNetworkPolicy } from '../../lib/network-policies/index.js';
import type { ServerNetworkPolicyProps } from '../../lib/network-policies/index.js';
import { assertRefused, freshChart } from '../refusals.js';
import { environments, findObject } from '../rendered.js';

const namespaceLabel = 'kubernetes.io/metadata.name';

function selects(policy: INetworkPolicy, podLabels: Record<string, string>): boolean {
  return Object.entries(policy.spec!.podSelector!.matchLabels ?? {}).every(([key, value]) => podLabels[key] === value);
}

type Rule = NonNullable<NonNullable<INetworkPolicy['spec']>['ingress']>[number];
type Peer = NonNullable<Rule['from']>[number];

function ipNumber(ip: string): number {
  return ip.split('.').reduce((total, octet) => total * 256 + Number(octet), 0);
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, prefix] = cidr.split('/') as [string, string];
  const size = 2 ** (32 - Number(prefix));
  return Math.floor(ipNumber(ip) / size) === Math.floor(ipNumber(base) / size);
}

/** Whether the rules let a peer at `ip` (a pod or an interface outside the cluster's pods) through on TCP `port`. */
function allowsAddress(
  rules: readonly Rule[] | undefined,
  peers: (rule: Rule) => Peer[] | undefined,
  ip: string,
  port: number,
) {
  return (rules ?? []).some(
    (rule) =>
      (rule.ports ?? []).some((candidate) => candidate.port === port && (candidate.protocol ?? 'TCP') === 'TCP') &&
      (peers(rule) ?? []).some((peer) => peer.ipBlock !== undefined && inCidr(ip, peer.ipBlock.cidr)),
  );
}

/** Out only to cluster DNS (CoreDNS in kube-system), MySQL in the database subnets and, for the server, Redis. */
function assertEgress(egress: NonNullable<INetworkPolicy['spec']>['egress'], env: Environment, redis: boolean) {
  const subnets = environmentSubnets(env);
  const [dns, ...rest] = egress ?? [];
  assert.deepEqual(dns!.to![0]!.namespaceSelector?.matchLabels, { [namespaceLabel]: 'kube-system' });
  assert.deepEqual(dns!.to![0]!.podSelector?.matchLabels, { 'k8s-app': 'kube-dns' });
  assert.deepEqual(dns!.ports!.map((port) => `${port.protocol}/${port.port}`).sort(), ['TCP/53', 'UDP/53']);
  const byPort = (port: number) =>
    rest.filter((rule) => rule.ports?.some((candidate) => candidate.port === port)).flatMap((rule) => rule.to ?? []);
  assert.deepEqual(
    byPort(3306).map((peer) => peer.ipBlock?.cidr),
    [...subnets.database],
  );
  assert.deepEqual(
    byPort(6379).map((peer) => peer.ipBlock?.cidr),
    redis ? [...subnets.nodes] : [],
  );
  assert.equal(rest.length, subnets.database.length + (redis ? subnets.nodes.length : 0), 'nothing else goes out');
  const to = (rule: Rule & { to?: Peer[] }) => rule.to;
  const egressRules = rest as (Rule & { to?: Peer[] })[];
  // MySQL only in the database subnets: not a node, a pod or the internet.
  const firstDatabaseIp = subnets.database[0]!.replace(/0\/\d+$/, '10');
  const aNodeIp = subnets.nodes[0]!.replace(/0\/\d+$/, '10');
  assert.ok(allowsAddress(egressRules, to, firstDatabaseIp, 3306));
  assert.ok(!allowsAddress(egressRules, to, aNodeIp, 3306));
  assert.ok(!allowsAddress(egressRules, to, '52.95.110.1', 3306));
}

for (const env of environments) {
  const policy = findObject(env.name, 'NetworkPolicy', 'desktop-backend') as unknown as INetworkPolicy;
  const migrationPolicy = findObject(env.name, 'NetworkPolicy', 'desktop-backend-migrate') as unknown as INetworkPolicy;
  const serverPods = (findObject(env.name, 'Rollout') as unknown as IRollout).spec.template!.metadata!.labels!;
  const job = findObject(env.name, 'Job', 'desktop-backend-migrate') as unknown as IJob;
  const migrationPods = job.spec!.template.metadata!.labels!;
  const spec = policy.spec!;
  const subnets = environmentSubnets(env);

  describe(`NetworkPolicy (${env.name})`, () => {
    it('isolates the server pods in both directions', () => {
      assert.ok(selects(policy, serverPods));
      assert.ok(!selects(policy, migrationPods));
      assert.deepEqual([...spec.policyTypes!].sort(), ['Egress', 'Ingress']);
    });

    it('admits the app port only from the public (ALB) subnets and the metrics port from the monitoring namespace', () => {
      const rules = spec.ingress!.map((rule) => ({
        ports: rule.ports!.map((port) => port.port),
        from: rule.from!.map((peer) => peer.ipBlock?.cidr ?? peer.namespaceSelector?.matchLabels?.[namespaceLabel]),
      }));
      assert.deepEqual(rules, [
        ...subnets.public.map((cidr) => ({ ports: [serverContract.httpPort], from: [cidr] })),
        { ports: [serverContract.metricsPort], from: [monitoring.namespace] },
      ]);
    });

    it('refuses port 4000 to every other address of the VPC: nodes, other pods, the database subnets', () => {
      const from = (rule: Rule) => rule.from;
      const hostIn = (cidr: string) => cidr.replace(/0\/\d+$/, '25');
      for (const cidr of subnets.public)
        assert.ok(allowsAddress(spec.ingress, from, hostIn(cidr), serverContract.httpPort));
      for (const cidr of [...subnets.nodes, ...subnets.database]) {
        assert.ok(!allowsAddress(spec.ingress, from, hostIn(cidr), serverContract.httpPort), cidr);
      }
      assert.ok(!allowsAddress(spec.ingress, from, hostIn(subnets.public[0]!), serverContract.metricsPort));
    });

    it('lets the pods out only to cluster DNS, MySQL in the database subnets and Redis in the node subnets', () => {
      assertEgress(spec.egress, env, true);
    });
  });

  describe(`database-users NetworkPolicy (${env.name})`, () => {
    // The PreSync Job that creates the database users holds the master credentials: the tightest policy of all.
    const usersPolicy = findObject(env.name, 'NetworkPolicy', 'desktop-backend-db-users') as unknown as INetworkPolicy;
    const usersJob = findObject(env.name, 'Job', 'desktop-backend-db-users') as unknown as IJob;
    const usersPods = usersJob.spec!.template.metadata!.labels!;

    it('selects only the database-users Job pods', () => {
      assert.ok(selects(usersPolicy, usersPods));
      assert.ok(!selects(usersPolicy, serverPods) && !selects(usersPolicy, migrationPods));
      assert.ok(!selects(policy, usersPods) && !selects(migrationPolicy, usersPods));
    });

    it('admits nothing in and lets the pods out only to cluster DNS and to MySQL in the database subnets', () => {
      assert.deepEqual([...usersPolicy.spec!.policyTypes!].sort(), ['Egress', 'Ingress']);
      assert.deepEqual(usersPolicy.spec!.ingress ?? [], []);
      assertEgress(usersPolicy.spec!.egress, env, false);
      const annotations = usersPolicy.metadata!.annotations!;
      assert.equal(annotations[argoAnnotations.hook], 'PreSync');
      assert.ok(
        Number(annotations[argoAnnotations.syncWave]) <
          Number(usersJob.metadata!.annotations![argoAnnotations.syncWave]),
      );
    });
  });

  describe(`migration NetworkPolicy (${env.name})`, () => {
    it('selects the migration Job pods and not the server pods', () => {
      assert.ok(selects(migrationPolicy, migrationPods));
      assert.ok(!selects(migrationPolicy, serverPods));
    });

    it('admits nothing in and lets the pods out only to cluster DNS and to MySQL in the database subnets', () => {
      assert.deepEqual([...migrationPolicy.spec!.policyTypes!].sort(), ['Egress', 'Ingress']);
      assert.deepEqual(migrationPolicy.spec!.ingress ?? [], []);
      assertEgress(migrationPolicy.spec!.egress, env, false);
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
    loadBalancerSubnets: ['10.10.0.0/24', '10.10.1.0/24'],
    databaseSubnets: ['10.10.96.0/24'],
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
    assertRefused(build({ loadBalancerSubnets: ['10.10.0.0/33'] }), 'ServerNetworkPolicy', 'loadBalancerSubnets');
    assertRefused(build({ databaseSubnets: ['10.10.0.0'] }), 'ServerNetworkPolicy', 'databaseSubnets');
    assertRefused(build({ loadBalancerSubnets: [] }), 'ServerNetworkPolicy', 'loadBalancerSubnets', /at least one/);
    assertRefused(build({ metricsPort: 4000 }), 'ServerNetworkPolicy', 'metricsPort', /differ/);
  });
});
