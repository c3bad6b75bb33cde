import * as kplus from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { components, labelKeys } from '../labels.js';
import { syncWave, syncWaves } from '../sync-waves.js';
import type { ServerNetworkPolicyProps } from './props.js';

/**
 * Default-deny for the server pods, then only: the app port from the VPC (the ALB sends from its own VPC addresses
 * to the pod IPs), the metrics port from the monitoring namespace, DNS to kube-system, MySQL to the VPC.
 */
export class ServerNetworkPolicy extends Construct {
  readonly policy: kplus.NetworkPolicy;

  constructor(scope: Construct, id: string, props: ServerNetworkPolicyProps) {
    super(scope, id);
    const vpc = kplus.NetworkPolicyIpBlock.ipv4(this, 'vpc', props.vpcCidr);
    const monitoring = kplus.Namespaces.select(this, 'monitoring', { names: [props.monitoringNamespace] });
    const clusterDns = kplus.Pods.select(this, 'cluster-dns', {
      labels: { 'k8s-app': 'kube-dns' },
      namespaces: kplus.Namespaces.select(this, 'kube-system', { names: ['kube-system'] }),
    });

    this.policy = new kplus.NetworkPolicy(this, 'policy', {
      metadata: {
        name: props.name,
        labels: { [labelKeys.component]: components.server },
        annotations: syncWave(syncWaves.foundation),
      },
      selector: props.pods,
      ingress: {
        default: kplus.NetworkPolicyTrafficDefault.DENY,
        rules: [
          { peer: vpc, ports: [kplus.NetworkPolicyPort.tcp(props.httpPort)] },
          { peer: monitoring, ports: [kplus.NetworkPolicyPort.tcp(props.metricsPort)] },
        ],
      },
      egress: {
        default: kplus.NetworkPolicyTrafficDefault.DENY,
        rules: [
          { peer: clusterDns, ports: [kplus.NetworkPolicyPort.udp(53), kplus.NetworkPolicyPort.tcp(53)] },
          { peer: vpc, ports: [kplus.NetworkPolicyPort.tcp(props.databasePort ?? 3306)] },
        ],
      },
    });
  }
}
