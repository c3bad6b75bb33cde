import type * as kplus from 'cdk8s-plus-34';

export interface ServerNetworkPolicyProps {
  readonly name: string;
  /** The pods the policy isolates. */
  readonly pods: kplus.IPodSelector;
  /** VPC CIDR: the ALB reaches pods from it (IP targets) and RDS lives in it. */
  readonly vpcCidr: string;
  readonly httpPort: number;
  readonly metricsPort: number;
  /** Namespace of Prometheus, the only one allowed on the metrics port. */
  readonly monitoringNamespace: string;
  /** @default 3306 */
  readonly databasePort?: number;
}
