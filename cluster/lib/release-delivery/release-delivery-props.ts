export interface ReleaseDeliveryProps {
  /** ECR repository name (platform service.name). */
  readonly repositoryName: string;
  /** owner/name of the GitHub repository whose workflows may push. */
  readonly githubRepository: string;
  /** The only branch whose workflow runs may assume the role. */
  readonly branch: string;
  /** Name of the release role, so the workflow's AWS_RELEASE_ROLE_ARN can be written before the deploy. */
  readonly roleName: string;
  /** Images kept; older ones expire. */
  readonly keepImages: number;
  /**
   * An account holds one GitHub OIDC provider: pass its ARN when it already exists.
   * @default - the provider is created
   */
  readonly existingGithubOidcProviderArn?: string;
}
