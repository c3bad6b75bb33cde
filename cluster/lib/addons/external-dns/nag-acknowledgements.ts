import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** The one wildcard of external-dns's policy, acknowledged on the add-on with why. */
export function acknowledgeExternalDnsFindings(addon: IConstruct): void {
  Validations.of(addon).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'external-dns: route53:ListHostedZones supports no resource-level permission (read-only); changes are ' +
      "limited to the environment's hosted zone by ARN.",
  });
}
