import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { monitoring } from '../../../platform/environments.js';
import { serverContract } from '../../../platform/server-contract.js';
import { environments, findObject } from '../rendered.js';

const namespaceLabel = 'kubernetes.io/metadata.name';

for (const env of environments) {
  const policy = findObject(env.name, 'NetworkPolicy') as unknown as INetworkPolicy;
  const spec = policy.spec!;

  describe(`NetworkPolicy (${env.name})`, () => {
    it('isolates the server pods in both directions', () => {
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
      const [dns, mysql] = spec.egress!;
      assert.equal(spec.egress!.length, 2);
      assert.deepEqual(dns!.to![0]!.namespaceSelector?.matchLabels, { [namespaceLabel]: 'kube-system' });
      assert.deepEqual(dns!.to![0]!.podSelector?.matchLabels, { 'k8s-app': 'kube-dns' });
      assert.deepEqual(dns!.ports!.map((port) => `${port.protocol}/${port.port}`).sort(), ['TCP/53', 'UDP/53']);
      assert.deepEqual(mysql!.to, [{ ipBlock: { cidr: env.vpcCidr } }]);
      assert.deepEqual(mysql!.ports, [{ port: 3306, protocol: 'TCP' }]);
    });
  });
}
