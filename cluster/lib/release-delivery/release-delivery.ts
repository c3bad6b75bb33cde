import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledgeReleaseRole } from './nag-acknowledgements.js';
import type { ReleaseDeliveryProps } from './release-delivery-props.js';

export const githubOidcIssuer = 'token.actions.githubusercontent.com';
export const githubOidcAudience = 'sts.amazonaws.com';

/**
 * What a push needs on the repository: the set AWS documents in "IAM permissions for pushing an image" (BatchGetImage
 * included: registry clients read manifests back, e.g. when BuildKit pushes an image index with attestations), plus
 * the look-up the release workflow does before building (DescribeImages, scripts/release/image-exists.sh).
 */
export const pushActions = [
  'ecr:BatchCheckLayerAvailability',
  'ecr:InitiateLayerUpload',
  'ecr:UploadLayerPart',
  'ecr:CompleteLayerUpload',
  'ecr:PutImage',
  'ecr:BatchGetImage',
  'ecr:DescribeImages',
] as const;

/**
 * ECR repository (scan on push, immutable tags, lifecycle) and the GitHub OIDC role the release workflow assumes: only
 * from `githubRepository` on `branch`, and it may push to this repository and nothing else.
 */
export class ReleaseDelivery extends Construct {
  readonly repository: ecr.Repository;
  readonly releaseRole: iam.Role;

  constructor(scope: Construct, id: string, props: ReleaseDeliveryProps) {
    super(scope, id);
    this.repository = new ecr.Repository(this, 'Repository', {
      repositoryName: props.repositoryName,
      imageScanOnPush: true,
      imageTagMutability: ecr.TagMutability.IMMUTABLE,
      encryption: ecr.RepositoryEncryption.AES_256,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          rulePriority: 1,
          description: 'Untagged layers left by interrupted pushes',
          tagStatus: ecr.TagStatus.UNTAGGED,
          maxImageAge: Duration.days(14),
        },
        {
          rulePriority: 2,
          description: `Keep the newest ${props.keepImages} images (rollback window)`,
          tagStatus: ecr.TagStatus.ANY,
          maxImageCount: props.keepImages,
        },
      ],
    });

    const providerArn =
      props.existingGithubOidcProviderArn ??
      new iam.OidcProviderNative(this, 'GitHubOidcProvider', {
        url: `https://${githubOidcIssuer}`,
        clientIds: [githubOidcAudience],
      }).oidcProviderArn;

    this.releaseRole = new iam.Role(this, 'ReleaseRole', {
      roleName: props.roleName,
      description: `GitHub Actions release of ${props.githubRepository}@${props.branch}: push to ECR ${props.repositoryName}`,
      maxSessionDuration: Duration.hours(1),
      assumedBy: new iam.WebIdentityPrincipal(providerArn, {
        StringEquals: {
          [`${githubOidcIssuer}:aud`]: githubOidcAudience,
          [`${githubOidcIssuer}:sub`]: `repo:${props.githubRepository}:ref:refs/heads/${props.branch}`,
        },
      }),
    });
    this.releaseRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'PushToTheServiceRepository',
        actions: [...pushActions],
        resources: [this.repository.repositoryArn],
      }),
    );
    this.releaseRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'LogInToEcr',
        actions: ['ecr:GetAuthorizationToken'],
        resources: ['*'],
      }),
    );
    acknowledgeReleaseRole(this.releaseRole);
  }
}
