import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** The wildcard of the target-group verification policy, acknowledged on the controller's role with why. */
export function acknowledgeVerificationPolicy(role: IConstruct): void {
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Argo Rollouts target-group verification: Elastic Load Balancing Describe* calls, which support no ' +
      'resource-level permissions (read-only).',
  });
}
