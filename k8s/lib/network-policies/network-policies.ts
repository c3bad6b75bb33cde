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
} from './network-policies-props.js';

function checkCidrs(check: PropsValidator, prop: string, cidrs: readonly string[] | undefined): PropsValidator {
  if (cidrs === undefined) return check;
  check.check(cidrs.length > 0, prop, 'must list at least one subnet');
  for (const cidr of cidrs) check.cidr(prop, cidr);
  return check;
}

function checkDatabaseEgress(check: PropsValidator, props: DatabaseEgressProps): PropsValidator {
  return checkCidrs(check.dnsLabel('name', props.name), 'databaseSubnets', props.databaseSubnets).port(
    'databasePort',
    props.databasePort,
  );
}

/** One peer per CIDR (a NetworkPolicy ipBlock holds one), all on the same ports. */
function toSubnets(
  scope: Construct,
  id: string,
  cidrs: readonly string[],
  ports: kplus.NetworkPolicyPort[],
): kplus.NetworkPolicyRule[] {
  return cidrs.map((cidr, index) => ({ peer: kplus.NetworkPolicyIpBlock.ipv4(scope, `${id}-${index}`, cidr), ports }));
}

/** CoreDNS in EKS (pods labelled k8s-app=kube-dns in kube-system), then MySQL in the database subnets. */
function databaseEgress(scope: Construct, props: DatabaseEgressProps): kplus.NetworkPolicyRule[] {
  const clusterDns = kplus.Pods.select(scope, 'cluster-dns', {
    labels: { 'k8s-app': 'kube-dns' },
    namespaces: kplus.Namespaces.select(scope, 'kube-system', { names: ['kube-system'] }),
  });
  return [
    { peer: clusterDns, ports: [kplus.NetworkPolicyPort.udp(53), kplus.NetworkPolicyPort.tcp(53)] },
    ...toSubnets(scope, 'database', props.databaseSubnets, [kplus.NetworkPolicyPort.tcp(props.databasePort ?? 3306)]),
  ];
}

function isolating(
  scope: Construct,
  props: DatabaseEgressProps,
  annotations: Readonly<Record<string, string>>,
  ingressRules: kplus.NetworkPolicyRule[],
  extraEgress: kplus.NetworkPolicyRule[] = [],
): kplus.NetworkPolicy {
  return new kplus.NetworkPolicy(scope, 'policy', {
    metadata: { name: props.name, labels: { [labelKeys.component]: props.component }, annotations: { ...annotations } },
    selector: props.pods,
    ingress: { default: kplus.NetworkPolicyTrafficDefault.DENY, rules: ingressRules },
    egress: {
      default: kplus.NetworkPolicyTrafficDefault.DENY,
      rules: [...databaseEgress(scope, props), ...extraEgress],
    },
  });
}

/**
 * Default-deny for the server pods, then only: the app port from the public subnets (the internet-facing ALB sends
 * traffic and health checks from its interfaces there, straight to the pod IPs), the metrics port from the
 * monitoring namespace, DNS to kube-system, MySQL to the database subnets, Redis where its endpoints are.
 *
 * The kubelet's probes need no rule: a pod isolated for ingress still accepts connections from its own node
 * (Kubernetes NetworkPolicy semantics). Nothing else in the VPC, no other pod and no other node, reaches port 4000.
 */
export class ServerNetworkPolicy extends Construct {
  readonly policy: kplus.NetworkPolicy;

  constructor(scope: Construct, id: string, props: ServerNetworkPolicyProps) {
    const check = checkDatabaseEgress(validate(`ServerNetworkPolicy "${id}"`), {
      ...props,
      component: components.server,
    })
      .port('httpPort', props.httpPort)
      .port('metricsPort', props.metricsPort)
      .port('redisPort', props.redisPort)
      .check(props.httpPort !== props.metricsPort, 'metricsPort', 'must differ from httpPort')
      .dnsLabel('monitoringNamespace', props.monitoringNamespace);
    checkCidrs(check, 'loadBalancerSubnets', props.loadBalancerSubnets);
    checkCidrs(check, 'redisSubnets', props.redisSubnets).done();
    super(scope, id);
    const monitoring = kplus.Namespaces.select(this, 'monitoring', { names: [props.monitoringNamespace] });
    const redis = props.redisSubnets
      ? toSubnets(this, 'redis', props.redisSubnets, [kplus.NetworkPolicyPort.tcp(props.redisPort ?? 6379)])
      : [];
    this.policy = isolating(
      this,
      { ...props, component: components.server },
      syncWave(syncWaves.foundation),
      [
        ...toSubnets(this, 'alb', props.loadBalancerSubnets, [kplus.NetworkPolicyPort.tcp(props.httpPort)]),
        { peer: monitoring, ports: [kplus.NetworkPolicyPort.tcp(props.metricsPort)] },
      ],
      redis,
    );
  }
}

/**
 * The migration Job's pods: nothing in (they serve nothing), out only DNS and MySQL in the database subnets. A
 * PreSync hook like the Job, one wave earlier, so even the very first migration runs isolated.
 */
export class MigrationNetworkPolicy extends Construct {
  readonly policy: kplus.NetworkPolicy;

  constructor(scope: Construct, id: string, props: MigrationNetworkPolicyProps) {
    checkDatabaseEgress(validate(`MigrationNetworkPolicy "${id}"`), props).done();
    super(scope, id);
    this.policy = isolating(this, props, props.annotations, []);
  }
}
