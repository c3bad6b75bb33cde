import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Fluent Bit's log-stream wildcard, limited to the cluster's container log group, acknowledged on the add-on. */
export function acknowledgeLogStreamWildcard(addon: IConstruct, logGroupArn: string): void {
  Validations.of(addon).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${logGroupArn}:log-stream:*]`,
    reason:
      'Fluent Bit creates one log stream per container at run time (names unknown in advance), only in the ' +
      'container log group of this cluster.',
  });
}
