import type * as kplus from 'cdk8s-plus-34';

/** What every pod of the service may reach: cluster DNS, and MySQL inside the VPC. */
export interface DatabaseEgressProps {
  /** Name of the NetworkPolicy. */
  readonly name: string;
  /** The pods the policy isolates. */
  readonly pods: kplus.IPodSelector;
  /** app.kubernetes.io/component of the policy: the component of the pods it isolates. */
  readonly component: string;
  /** VPC CIDR: RDS lives in it (and, for the server, the ALB reaches the pods from it). */
  readonly vpcCidr: string;
  /** @default 3306 */
  readonly databasePort?: number;
}

export interface ServerNetworkPolicyProps extends Omit<DatabaseEgressProps, 'component'> {
  /** The API and WebSocket port, admitted from the load balancer. */
  readonly httpPort: number;
  /** The metrics port, admitted from the monitoring namespace only. */
  readonly metricsPort: number;
  /** Namespace of Prometheus, the only one allowed on the metrics port. */
  readonly monitoringNamespace: string;
}

export interface MigrationNetworkPolicyProps extends DatabaseEgressProps {
  /** Argo CD placement: the policy must exist before the migration Job's pod, which is a PreSync hook. */
  readonly annotations: Readonly<Record<string, string>>;
}
