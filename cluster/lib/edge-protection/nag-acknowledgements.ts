import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** The ALB access-log bucket logs nowhere else, acknowledged on it with why. */
export function acknowledgeAccessLogBucket(bucket: IConstruct): void {
  Validations.of(bucket).acknowledge({
    id: 'AwsSolutions-S1',
    reason:
      'This bucket holds the ALB access logs themselves; logging its own access to another bucket would only ' +
      'record the log delivery writes.',
  });
}
