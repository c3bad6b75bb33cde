import { CfnOutput, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { gitRepository } from '../../platform/environments.js';
import { service } from '../../platform/service.js';
import { ReleaseDelivery } from './release-delivery/index.js';

export interface DeliveryStackProps extends StackProps {
  readonly account: string;
  readonly region: string;
  readonly keepImages: number;
  /** @default - a GitHub OIDC provider is created in the account */
  readonly existingGithubOidcProviderArn?: string;
}

/** The name the release workflow's AWS_RELEASE_ROLE_ARN points at. */
export const releaseRoleName = `${service.name}-release`;

/** One per account and region: the ECR repository every environment there pulls from, and the release role. */
export class DeliveryStack extends Stack {
  readonly delivery: ReleaseDelivery;

  constructor(scope: Construct, id: string, props: DeliveryStackProps) {
    super(scope, id, {
      ...props,
      env: { account: props.account, region: props.region },
      terminationProtection: true,
      description: `${service.name}: ECR repository and the GitHub OIDC release role`,
    });
    Tags.of(this).add('service', service.name);
    this.delivery = new ReleaseDelivery(this, 'Release', {
      repositoryName: service.name,
      githubRepository: gitRepository.slug,
      branch: gitRepository.targetRevision,
      roleName: releaseRoleName,
      keepImages: props.keepImages,
      existingGithubOidcProviderArn: props.existingGithubOidcProviderArn,
    });
    new CfnOutput(this, 'EcrRepositoryUri', { value: this.delivery.repository.repositoryUri });
    new CfnOutput(this, 'ReleaseRoleArn', {
      description: 'Set as the GitHub Actions variable AWS_RELEASE_ROLE_ARN',
      value: this.delivery.releaseRole.roleArn,
    });
  }
}
