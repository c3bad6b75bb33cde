import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { environmentNamed, type Environment } from '../../platform/environments.js';
import { clusterConfigs, clusterSettings } from '../config/environments.js';
import { ClusterConfigError, resolveClusterConfig, type ClusterSettingsInput } from '../config/schema.js';

const staging = environmentNamed('staging');
const valid = clusterSettings.staging!;

function withSettings(patch: (settings: ClusterSettingsInput) => unknown): unknown {
  return patch(structuredClone(valid));
}

function rejects(settings: unknown, field: RegExp, rule: RegExp, environment: Environment = staging): void {
  assert.throws(
    () => resolveClusterConfig(environment, settings),
    (error: unknown) => {
      assert.ok(error instanceof ClusterConfigError, 'a ClusterConfigError');
      assert.match(error.message, new RegExp(`environment "${environment.name}"`));
      assert.match(error.message, field);
      assert.match(error.message, rule);
      return true;
    },
  );
}

describe('cluster configuration', () => {
  it('accepts the configuration of every platform environment', () => {
    const configs = clusterConfigs();
    assert.deepEqual(
      configs.map(({ environment }) => environment.name),
      ['staging', 'production'],
    );
  });

  it('names the environment, the field and the rule when the admin role is not a role ARN', () => {
    rejects(
      withSettings((s) => ({ ...s, adminRoleArn: 'arn:aws:iam::111111111111:user/alice' })),
      /adminRoleArn/,
      /IAM role ARN/,
    );
  });

  it('refuses fewer than 7 days of backups', () => {
    rejects(
      withSettings((s) => ({ ...s, database: { ...s.database, backupRetentionDays: 3 } })),
      /database\.backupRetentionDays/,
      /at least 7 days/,
    );
  });

  it('refuses a node group whose desired size is outside min..max', () => {
    rejects(
      withSettings((s) => ({ ...s, nodeGroup: { ...s.nodeGroup, desiredSize: 9, maxSize: 4 } })),
      /nodeGroup/,
      /minSize <= desiredSize <= maxSize/,
    );
  });

  it('refuses a single availability zone', () => {
    rejects(valid, /availabilityZoneCount/, /at least 2/, { ...staging, availabilityZoneCount: 1 });
  });

  it('refuses an API endpoint open to the whole internet', () => {
    rejects(
      withSettings((s) => ({ ...s, apiPublicAccessCidrs: ['0.0.0.0/0'] })),
      /apiPublicAccessCidrs/,
      /must not contain 0\.0\.0\.0\/0/,
    );
  });

  it('refuses a malformed CIDR and an RDS class written with its db. prefix', () => {
    rejects(
      withSettings((s) => ({ ...s, apiPublicAccessCidrs: ['203.0.113.0/33'] })),
      /apiPublicAccessCidrs/,
      /IPv4 CIDR/,
    );
    rejects(
      withSettings((s) => ({ ...s, database: { ...s.database, instanceClass: 'db.t4g.medium' } })),
      /database\.instanceClass/,
      /no "db\." prefix/,
    );
  });

  it('refuses Graviton nodes while the release workflow builds amd64 images only', () => {
    rejects(
      withSettings((s) => ({ ...s, nodeGroup: { ...s.nodeGroup, instanceTypes: ['m7g.large'] } })),
      /nodeGroup\.instanceTypes m7g\.large/,
      /linux\/amd64 images only/,
    );
  });

  it('refuses a hosted zone that does not contain the environment host', () => {
    rejects(
      withSettings((s) => ({ ...s, hostedZone: { id: 'Z0123456789ABC', name: 'other.org' } })),
      /hostedZone\.name "other\.org"/,
      /does not contain the host "desktop\.staging\.example\.com"/,
    );
  });

  it('refuses a log retention CloudWatch Logs does not offer', () => {
    rejects(
      withSettings((s) => ({ ...s, logRetentionDays: 10 })),
      /logRetentionDays/,
      /must be one of 1, 3, 5/,
    );
  });

  it('refuses a bad account from platform/environments.ts', () => {
    rejects(valid, /aws\.account/, /12-digit AWS account id/, {
      ...staging,
      aws: { ...staging.aws, account: '1234' },
    });
  });

  it('refuses a VPC CIDR too small for the subnets of its zones, naming the size it needs', () => {
    // Three /19 node subnets do not fit a /17; two do.
    rejects(valid, /VPC 10\.10\.0\.0\/17/, /3 availability zones .* must be a \/16 or larger/, {
      ...staging,
      availabilityZoneCount: 3,
      vpcCidr: '10.10.0.0/17',
    });
    assert.doesNotThrow(() => resolveClusterConfig({ ...staging, vpcCidr: '10.10.0.0/17' }, valid));
    rejects(valid, /VPC 10\.10\.0\.0\/20/, /must be a \/17 or larger/, { ...staging, vpcCidr: '10.10.0.0/20' });
  });

  it('refuses turning the Argo CD admin off while no SSO group may administer Argo CD', () => {
    const argo = valid.argocd;
    const sso = { name: 'SSO', issuer: 'https://sso.example.com', clientId: 'argocd' };
    rejects(
      withSettings((s) => ({ ...s, argocd: { ...argo, adminEnabled: false } })),
      /argocd\.adminEnabled/,
      /argocd\.oidc\.adminGroups must name the groups/,
    );
    rejects(
      withSettings((s) => ({ ...s, argocd: { ...argo, adminEnabled: false, oidc: sso } })),
      /argocd\.adminEnabled/,
      /nobody could manage it/,
    );
    const withGroups = { ...argo, adminEnabled: false, oidc: { ...sso, adminGroups: ['platform-admins'] } };
    const config = resolveClusterConfig(
      staging,
      withSettings((s) => ({ ...s, argocd: withGroups })),
    );
    assert.deepEqual(config.settings.argocd.oidc?.adminGroups, ['platform-admins']);
  });

  it("refuses another account's GitHub OIDC provider", () => {
    rejects(
      withSettings((s) => ({
        ...s,
        existingGithubOidcProviderArn: 'arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com',
      })),
      /existingGithubOidcProviderArn is in account 222222222222/,
      /trusts only its own account's OIDC provider/,
    );
  });

  it('says so when an environment has no cluster configuration', () => {
    assert.throws(
      () => clusterConfigs({ staging: valid }),
      /environment "production": no entry for "production" in cluster\/config\/environments\.ts/,
    );
  });
});
