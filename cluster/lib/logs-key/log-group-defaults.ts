import { type IAspect } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';

/**
 * Gives every log group of a stack the environment's key and retention, including the ones aws-cdk-lib creates for
 * its own functions (the kubectl handler's, kept two years and unencrypted by default).
 */
export class LogGroupDefaults implements IAspect {
  constructor(
    private readonly key: kms.IKey,
    private readonly retention: logs.RetentionDays,
  ) {}

  visit(node: IConstruct): void {
    if (!(node instanceof logs.CfnLogGroup)) return;
    node.kmsKeyId ??= this.key.keyArn;
    node.retentionInDays = this.retention;
  }
}
