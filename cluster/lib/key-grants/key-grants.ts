import type { IAspect } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { IConstruct } from 'constructs';

/**
 * The key-policy statement AWS Control Tower's CT.KMS.PR.3 asks for: nobody may create a grant on the key unless the
 * grant is for an AWS resource or the caller is an AWS service (RDS, EKS and EBS create their grants that way).
 */
export const awsServiceGrantsOnly = new iam.PolicyStatement({
  sid: 'GrantsOnlyForAwsServices',
  effect: iam.Effect.DENY,
  principals: [new iam.AnyPrincipal()],
  actions: ['kms:CreateGrant'],
  resources: ['*'],
  conditions: {
    BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
  },
});

/** Adds `awsServiceGrantsOnly` to every KMS key of the scope it is applied to. */
export class AwsServiceGrantsOnly implements IAspect {
  visit(node: IConstruct): void {
    if (node instanceof kms.Key) node.addToResourcePolicy(awsServiceGrantsOnly);
  }
}
