import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** The driver's role uses the AWS-managed policy, acknowledged on it with why. */
export function acknowledgeDriverPolicy(role: IConstruct): void {
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy]',
    reason:
      'The policy AWS maintains for the EBS CSI driver: it creates, attaches and deletes only volumes and ' +
      'snapshots it tagged (ebs.csi.aws.com/cluster), and follows the driver as EKS upgrades it.',
  });
}
