import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** The cdk-nag findings of the RDS instance, acknowledged on it with why. */
export function acknowledgeDatabaseFindings(instance: IConstruct, multiAz: boolean): void {
  Validations.of(instance).acknowledge({
    id: 'AwsSolutions-RDS11',
    reason:
      'MySQL listens on 3306, the port the NetworkPolicies in k8s/ open; only the cluster security group and the ' +
      'rotation functions may reach it.',
  });
  if (!multiAz) {
    Validations.of(instance).acknowledge({
      id: 'AwsSolutions-RDS3',
      reason: 'Single-AZ in non-production environments to halve the cost; production sets multiAz from platform.',
    });
  }
  Validations.of(instance).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
    reason:
      'The AWS-maintained policy of the Enhanced Monitoring role: it only publishes OS metrics to CloudWatch Logs.',
  });
}

/** The migration user's secret is not rotated on a schedule. */
export function acknowledgeMigratorSecret(secret: IConstruct): void {
  Validations.of(secret).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason:
      'The migration user logs in only while the PreSync migration Job runs; its password is rotated by the ' +
      'runbook (provisioning CLI) rather than under a running Job.',
  });
}
