import type * as kplus from 'cdk8s-plus-34';
import type { ServerContract } from '../../../platform/server-contract.js';

export interface AlbIngressProps {
  /** Name of the Ingress (a DNS-1123 label). */
  readonly name: string;
  /** Public host: the rule's host and the TLS host the controller discovers an ACM certificate for. */
  readonly host: string;
  /** The Service and its port that receives all traffic (HTTP API and the WebSocket upgrade). */
  readonly service: kplus.Service;
  readonly servicePort: number;
  /** Idle timeout, health-check path and drain timing come from the server contract. */
  readonly contract: ServerContract;
  /** AWS name of the ALB (at most 32 characters). */
  readonly loadBalancerName: string;
  /** @default ELBSecurityPolicy-TLS13-1-2-2021-06 (TLS 1.3 and 1.2 only) */
  readonly sslPolicy?: string;
  /** Target group health checks. @default every 10 s, 5 s timeout, healthy after 2, unhealthy after 2 */
  readonly healthCheck?: {
    readonly intervalSeconds: number;
    readonly timeoutSeconds: number;
    readonly healthyThreshold: number;
    readonly unhealthyThreshold: number;
  };
  /** AWS tags of the load balancer and target groups. @default no tags */
  readonly tags?: Readonly<Record<string, string>>;
}
