import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gitRepository } from '../../platform/environments.js';
import { service } from '../../platform/service.js';
import { releaseRoleName } from '../lib/delivery-stack.js';
import { githubOidcAudience, githubOidcIssuer, pushActions } from '../lib/release-delivery/index.js';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ReleaseDelivery } from '../lib/release-delivery/index.js';
import { resources, single, useSynthesizedCluster } from './support/synth.js';

const synthesized = useSynthesizedCluster();

describe('ECR repository and GitHub release role', () => {
  const template = () => synthesized().delivery();

  it('is one delivery stack shared by the environments of one account and region', () => {
    assert.equal(synthesized().built.deliveryStacks.length, 1);
    for (const environmentName of synthesized().built.environmentStacks.keys()) {
      assert.equal(resources(synthesized().environment(environmentName), 'AWS::ECR::Repository').length, 0);
    }
  });

  it('names the repository after the service, scans on push, refuses tag overwrites, expires old images', () => {
    const [, repository] = single(template(), 'AWS::ECR::Repository');
    const props = repository.Properties;
    assert.equal(props.RepositoryName, service.name);
    assert.deepEqual(props.ImageScanningConfiguration, { ScanOnPush: true });
    assert.equal(props.ImageTagMutability, 'IMMUTABLE');
    assert.equal(repository.DeletionPolicy, 'Retain');
    const rules = JSON.parse((props.LifecyclePolicy as { LifecyclePolicyText: string }).LifecyclePolicyText) as {
      rules: { selection: { tagStatus: string; countType: string } }[];
    };
    assert.deepEqual(
      rules.rules.map((rule) => [rule.selection.tagStatus, rule.selection.countType]),
      [
        ['untagged', 'sinceImagePushed'],
        ['any', 'imageCountMoreThan'],
      ],
    );
  });

  it('trusts GitHub OIDC tokens only for this repository on main, with the STS audience', () => {
    const [providerId, provider] = single(template(), 'AWS::IAM::OIDCProvider');
    assert.equal(provider.Properties.Url, `https://${githubOidcIssuer}`);
    assert.deepEqual(provider.Properties.ClientIdList, [githubOidcAudience]);

    const [, role] = single(template(), 'AWS::IAM::Role', { RoleName: releaseRoleName });
    const trust = role.Properties.AssumeRolePolicyDocument as { Statement: Record<string, unknown>[] };
    assert.deepEqual(trust.Statement, [
      {
        Action: 'sts:AssumeRoleWithWebIdentity',
        Effect: 'Allow',
        Principal: { Federated: { Ref: providerId } },
        Condition: {
          StringEquals: {
            [`${githubOidcIssuer}:aud`]: githubOidcAudience,
            [`${githubOidcIssuer}:sub`]: `repo:${gitRepository.slug}:ref:refs/heads/main`,
          },
        },
      },
    ]);
    assert.equal(role.Properties.MaxSessionDuration, 3600);
  });

  it('may push to that repository and nothing else (plus the ECR login, which has no resource)', () => {
    const [roleId, role] = single(template(), 'AWS::IAM::Role', { RoleName: releaseRoleName });
    assert.equal(role.Properties.ManagedPolicyArns, undefined);
    assert.equal(role.Properties.Policies, undefined);
    const policies = resources(template(), 'AWS::IAM::Policy').filter(([, policy]) =>
      JSON.stringify(policy.Properties.Roles).includes(roleId),
    );
    assert.equal(policies.length, 1);
    const [repositoryId] = single(template(), 'AWS::ECR::Repository');
    const statements = (policies[0]![1].Properties.PolicyDocument as { Statement: Record<string, unknown>[] })
      .Statement;
    const normalized = statements
      .map(({ Action, Resource, Effect }) => ({ Action: [Action].flat().sort(), Resource, Effect }))
      .sort((a, b) => a.Action.length - b.Action.length);
    assert.deepEqual(normalized, [
      { Action: ['ecr:GetAuthorizationToken'], Resource: '*', Effect: 'Allow' },
      { Action: [...pushActions].sort(), Resource: { 'Fn::GetAtt': [repositoryId, 'Arn'] }, Effect: 'Allow' },
    ]);
    // AWS's documented push set (docs.aws.amazon.com/AmazonECR/latest/userguide/image-push-iam.html), plus the
    // DescribeImages look-up of scripts/release/image-exists.sh. BatchGetImage lets the pusher read manifests back.
    assert.deepEqual([...pushActions].sort(), [
      'ecr:BatchCheckLayerAvailability',
      'ecr:BatchGetImage',
      'ecr:CompleteLayerUpload',
      'ecr:DescribeImages',
      'ecr:InitiateLayerUpload',
      'ecr:PutImage',
      'ecr:UploadLayerPart',
    ]);
    for (const action of normalized.flatMap((statement) => statement.Action)) {
      assert.doesNotMatch(action, /\*|Delete|Policy|Lifecycle|Tag/, `${action} is not a push action`);
    }
  });
});

describe('an account that already has the GitHub OIDC provider', () => {
  it('creates no second provider and trusts the existing one', () => {
    const stack = new Stack(new App(), 'Delivery', { env: { account: '111111111111', region: 'eu-west-1' } });
    const existing = 'arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com';
    new ReleaseDelivery(stack, 'Release', {
      repositoryName: service.name,
      githubRepository: gitRepository.slug,
      branch: 'main',
      roleName: releaseRoleName,
      keepImages: 50,
      existingGithubOidcProviderArn: existing,
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::IAM::OIDCProvider', 0);
    const [, role] = single(template, 'AWS::IAM::Role', { RoleName: releaseRoleName });
    const [statement] = (role.Properties.AssumeRolePolicyDocument as { Statement: { Principal: unknown }[] }).Statement;
    assert.deepEqual(statement!.Principal, { Federated: existing });
  });
});
