import type * as iam from 'aws-cdk-lib/aws-iam';
import type { EdgeProtection } from '../../../platform/edge.js';

export interface EdgeProtectionProps {
  /** Names shared with k8s/ (platform/edge.ts). */
  readonly names: EdgeProtection;
  /** Requests per client IP in any 5 minutes above which the WAF blocks that IP. @default 2000 */
  readonly rateLimitPerFiveMinutes?: number;
  /** Days access logs are kept before they expire. @default 90 */
  readonly accessLogRetentionDays?: number;
  /**
   * The load balancer controller's role: associating a web ACL by name needs wafv2:ListWebACLs, which the
   * controller's published policy lacks.
   */
  readonly loadBalancerControllerRole?: iam.IRole;
}
