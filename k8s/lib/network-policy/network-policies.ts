import * as kplus from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { components, labelKeys } from '../labels.js';
import { syncWave, syncWaves } from '../sync-waves.js';
import { validate } from '../validation.js';
import type { PropsValidator } from '../validation.js';
import type {
  DatabaseEgressProps,
  MigrationNetworkPolicyProps,
  ServerNetworkPolicyProps,
} from './network-policy-props.js';

function checkDatabaseEgress(check: PropsValidator, props: DatabaseEgressProps): PropsValidator {
  return check.dnsLabel('name', props.name).cidr('vpcCidr', props.vpcCidr).port('databasePort', props.databasePort);
}

/** CoreDNS in EKS: pods labelled k8s-app=kube-dns in kube-system. */
function databaseEgress(scope: Construct, props: DatabaseEgressProps): kplus.NetworkPolicyRule[] {
  const clusterDns = kplus.Pods.select(scope, 'cluster-dns', {
    labels: { 'k8s-app': 'kube-dns' },
    namespaces: kplus.Namespaces.select(scope, 'kube-system', { names: ['kube-system'] }),
  });
  const vpc = kplus.NetworkPolicyIpBlock.ipv4(scope, 'vpc', props.vpcCidr);
  return [
    { peer: clusterDns, ports: [kplus.NetworkPolicyPort.udp(53), kplus.NetworkPolicyPort.tcp(53)] },
    { peer: vpc, ports: [kplus.NetworkPolicyPort.tcp(props.databasePort ?? 3306)] },
  ];
}

function isolating(
  scope: Construct,
  props: DatabaseEgressProps,
  annotations: Readonly<Record<string, string>>,
  ingressRules: kplus.NetworkPolicyRule[],
): kplus.NetworkPolicy {
  return new kplus.NetworkPolicy(scope, 'policy', {
    metadata: { name: props.name, labels: { [labelKeys.component]: props.component }, annotations: { ...annotations } },
    selector: props.pods,
    ingress: { default: kplus.NetworkPolicyTrafficDefault.DENY, rules: ingressRules },
    egress: { default: kplus.NetworkPolicyTrafficDefault.DENY, rules: databaseEgress(scope, props) },
  });
}

/**
 * Default-deny for the server pods, then only: the app port from the VPC (the ALB sends from its own VPC addresses
 * to the pod IPs), the metrics port from the monitoring namespace, DNS to kube-system, MySQL to the VPC.
 */
export class ServerNetworkPolicy extends Construct {
  readonly policy: kplus.NetworkPolicy;

  constructor(scope: Construct, id: string, props: ServerNetworkPolicyProps) {
    checkDatabaseEgress(validate(`ServerNetworkPolicy "${id}"`), { ...props, component: components.server })
      .port('httpPort', props.httpPort)
      .port('metricsPort', props.metricsPort)
      .check(props.httpPort !== props.metricsPort, 'metricsPort', 'must differ from httpPort')
      .dnsLabel('monitoringNamespace', props.monitoringNamespace)
      .done();
    super(scope, id);
    const alb = kplus.NetworkPolicyIpBlock.ipv4(this, 'alb', props.vpcCidr);
    const monitoring = kplus.Namespaces.select(this, 'monitoring', { names: [props.monitoringNamespace] });
    this.policy = isolating(this, { ...props, component: components.server }, syncWave(syncWaves.foundation), [
      { peer: alb, ports: [kplus.NetworkPolicyPort.tcp(props.httpPort)] },
      { peer: monitoring, ports: [kplus.NetworkPolicyPort.tcp(props.metricsPort)] },
    ]);
  }
}

/**
 * The migration Job's pods: nothing in (they serve nothing), out only DNS and MySQL in the VPC. A PreSync hook like
 * the Job, one wave earlier, so even the very first migration runs isolated.
 */
export class MigrationNetworkPolicy extends Construct {
  readonly policy: kplus.NetworkPolicy;

  constructor(scope: Construct, id: string, props: MigrationNetworkPolicyProps) {
    checkDatabaseEgress(validate(`MigrationNetworkPolicy "${id}"`), props).done();
    super(scope, id);
    this.policy = isolating(this, props, props.annotations, []);
  }
}
