import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** The cache's password and connection secrets are not rotated on a schedule. */
export function acknowledgeUnrotatedSecret(secret: IConstruct): void {
  Validations.of(secret).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason:
      'Not rotated on a schedule: Secrets Manager has no rotation function for ElastiCache RBAC users, and the ' +
      'cache holds no data (wake-ups only), is reachable only from the cluster security group, and only over TLS.',
  });
}
