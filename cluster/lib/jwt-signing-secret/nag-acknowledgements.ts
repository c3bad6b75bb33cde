import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

export function acknowledgeJwtSecret(secret: IConstruct): void {
  Validations.of(secret).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason:
      'Rotating the signing key invalidates every issued token at once; it is rotated by the runbook during a ' +
      'release window, not on a schedule.',
  });
}
