import type * as kplus from 'cdk8s-plus-34';
import type { EdgeProtection } from '../../../platform/edge.js';
import type { ServerContract } from '../../../platform/server-contract.js';

export interface AlbIngressProps {
  /** Name of the Ingress (a DNS-1123 label). */
  readonly name: string;
  /** Public host: the rule's host and the TLS host the controller discovers an ACM certificate for. */
  readonly host: string;
  /**
   * The Service the rule names. With `canary`, the root Service of the Rollout: its ALB action, not its endpoints,
   * decides where traffic goes. Without, the Service that receives all traffic (HTTP API and WebSocket upgrade).
   */
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
  /**
   * Argo Rollouts canary: the rule forwards through the action `alb.ingress.kubernetes.io/actions.<service>`, a
   * weighted forward to these two Services that Argo Rollouts rewrites at each step. Rendered at 100 % stable, so
   * the ALB and its target groups exist (and pods get their readiness gates) before the first Rollout.
   * @default no canary: the rule sends straight to `service`
   */
  readonly canary?: { readonly stableService: string; readonly canaryService: string };
  /** Refuse to delete the load balancer (AWS attribute deletion_protection.enabled). @default false */
  readonly deletionProtection?: boolean;
  /**
   * The WAF web ACL (by name) and the access-log bucket cluster/ creates for this ALB (platform/edge.ts).
   * @default no WAF association and no access logs
   */
  readonly edge?: EdgeProtection;
  /** AWS tags of the load balancer and target groups. @default no tags */
  readonly tags?: Readonly<Record<string, string>>;
}
