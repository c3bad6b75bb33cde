import type * as kplus from 'cdk8s-plus-34';

/** What every pod of the service may reach: cluster DNS, and MySQL in the database subnets. */
export interface DatabaseEgressProps {
  /** Name of the NetworkPolicy. */
  readonly name: string;
  /** The pods the policy isolates. */
  readonly pods: kplus.IPodSelector;
  /** app.kubernetes.io/component of the policy: the component of the pods it isolates. */
  readonly component: string;
  /** CIDRs of the database subnets (platform/network.ts): the only place MySQL traffic may go. */
  readonly databaseSubnets: readonly string[];
  /** @default 3306 */
  readonly databasePort?: number;
}

export interface ServerNetworkPolicyProps extends Omit<DatabaseEgressProps, 'component'> {
  /** The API and WebSocket port, admitted from the load balancer's subnets only. */
  readonly httpPort: number;
  /** CIDRs of the public subnets, where the internet-facing ALB's network interfaces live. */
  readonly loadBalancerSubnets: readonly string[];
  /** The metrics port, admitted from the monitoring namespace only. */
  readonly metricsPort: number;
  /** Namespace of Prometheus, the only one allowed on the metrics port. */
  readonly monitoringNamespace: string;
  /** CIDRs where the Redis (ElastiCache Serverless) endpoints live. @default no Redis egress */
  readonly redisSubnets?: readonly string[];
  /** @default 6379 */
  readonly redisPort?: number;
}

export interface MigrationNetworkPolicyProps extends DatabaseEgressProps {
  /** Argo CD placement: the policy must exist before the migration Job's pod, which is a PreSync hook. */
  readonly annotations: Readonly<Record<string, string>>;
}
