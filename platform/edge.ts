import type { Environment } from './environments.js';
import { service } from './service.js';

/**
 * What stands in front of an environment's ALB, named once for both sides: cluster/ creates the WAF web ACL and the
 * access-log bucket under these names, and k8s/ puts them in the Ingress annotations (the load balancer controller
 * associates the web ACL by name and writes the access logs to the bucket).
 */
export interface EdgeProtection {
  /** AWS WAF (regional) web ACL on the ALB; absent where no WAF runs. */
  readonly webAclName?: string;
  /** S3 bucket and key prefix of the ALB access logs. */
  readonly accessLogs: { readonly bucket: string; readonly prefix: string };
}

/** Production gets a WAF; every environment keeps access logs. */
export function edgeProtection(environment: Environment): EdgeProtection {
  const name = `${service.name}-${environment.name}`;
  return {
    ...(environment.production ? { webAclName: name } : {}),
    // Bucket names are global: the account id keeps them apart.
    accessLogs: { bucket: `${name}-alb-logs-${environment.aws.account}`, prefix: 'alb' },
  };
}
