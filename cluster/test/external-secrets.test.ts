import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { environments, externalSecrets, gitRepository } from '../../platform/environments.js';
import { renderRoot } from '../../k8s/test/rendered.js';
import { externalSecretsServiceAccount, secretReadActions } from '../lib/addons/external-secrets/index.js';
import {
  allResources,
  assertPodIdentityTrust,
  podIdentity,
  kubernetesManifests,
  resources,
  single,
  useSynthesizedCluster,
  type Resource,
  type SynthesizedCluster,
} from './support/synth.js';

const synthesized = useSynthesizedCluster();

type Template = ReturnType<SynthesizedCluster['environment']>;

/** The Secrets Manager secret a policy resource points at (directly, or through RDS's secret attachment). */
function secretBehind(template: Template, reference: unknown): Resource {
  const all = allResources(template);
  const id = (reference as { Ref?: string }).Ref;
  assert.ok(id, `expected a Ref, got ${JSON.stringify(reference)}`);
  const resource = all[id]!;
  if (resource.Type === 'AWS::SecretsManager::SecretTargetAttachment') {
    return secretBehind(template, resource.Properties.SecretId);
  }
  assert.equal(resource.Type, 'AWS::SecretsManager::Secret');
  return resource;
}

interface ExternalSecretManifest {
  metadata: { namespace: string };
  spec: {
    secretStoreRef: { kind: string; name: string };
    data: { remoteRef: { key: string; property: string } }[];
  };
}

function renderedExternalSecrets(environmentName: string): ExternalSecretManifest[] {
  // A fresh render of k8s/: the committed charts-out/<env>/ holds only a placeholder until the first release.
  const dir = join(renderRoot, gitRepository.chartsDir, environmentName);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .flatMap((file) => parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((doc) => doc.toJS() as unknown))
    .filter((doc): doc is ExternalSecretManifest => (doc as { kind?: string } | null)?.kind === 'ExternalSecret');
}

for (const environment of environments) {
  describe(`secrets and External Secrets in ${environment.name}`, () => {
    const template = () => synthesized().environment(environment.name);

    it('generates the JWT signing key as JSON under the shared key, at least 64 characters', () => {
      const [, secret] = single(template(), 'AWS::SecretsManager::Secret', { Name: environment.secrets.jwt });
      const generate = secret.Properties.GenerateSecretString as Record<string, unknown>;
      assert.equal(generate.GenerateStringKey, externalSecrets.jwtKeys.signingKey);
      assert.equal(generate.SecretStringTemplate, '{}');
      assert.ok(Number(generate.PasswordLength) >= 64);
      assert.equal(secret.Properties.SecretString, undefined, 'no value in the template');
    });

    it('gives the operator (Pod Identity) a role that may only read the database, JWT and cache secrets', () => {
      const identity = podIdentity(template(), externalSecrets.namespace, externalSecretsServiceAccount);
      assert.equal(identity.statements.length, 1);
      const [statement] = identity.statements as [{ Effect: string; Action: string[]; Resource: unknown[] }];
      assert.equal(statement.Effect, 'Allow');
      assert.deepEqual([...statement.Action].sort(), [...secretReadActions].sort());
      const names = statement.Resource.map((reference) => secretBehind(template(), reference).Properties.Name).sort();
      assert.deepEqual(
        names,
        [
          environment.secrets.database,
          environment.secrets.databaseApp,
          environment.secrets.databaseMigrator,
          environment.secrets.jwt,
          environment.secrets.redis,
        ].sort(),
      );
      assert.equal(identity.role.Properties.ManagedPolicyArns, undefined, 'no managed policies');
      assert.equal(identity.role.Properties.Policies, undefined, 'no inline policies');
      assertPodIdentityTrust(identity, externalSecrets.namespace, externalSecretsServiceAccount);
    });

    it(`creates the ClusterSecretStore "${externalSecrets.clusterSecretStore}" for the service namespace only`, () => {
      const store = kubernetesManifests(template()).find((m) => m.kind === 'ClusterSecretStore') as {
        metadata: { name: string };
        spec: {
          conditions: { namespaces: string[] }[];
          provider: { aws: { service: string; region: string; auth?: unknown } };
        };
      };
      assert.equal(store.metadata.name, externalSecrets.clusterSecretStore);
      assert.deepEqual(store.spec.conditions, [{ namespaces: [environment.namespace] }]);
      assert.equal(store.spec.provider.aws.service, 'SecretsManager');
      assert.equal(store.spec.provider.aws.region, environment.aws.region);
      assert.equal(store.spec.provider.aws.auth, undefined, "the controller's own Pod Identity credentials");
    });

    it('serves every key the rendered ExternalSecrets of charts-out/ ask for', () => {
      const rendered = renderedExternalSecrets(environment.name);
      assert.ok(rendered.length > 0, `charts-out/${environment.name} holds the ExternalSecrets k8s/ renders`);
      const secretNames = resources(template(), 'AWS::SecretsManager::Secret').map(([, s]) => s.Properties.Name);
      const jwt = single(template(), 'AWS::SecretsManager::Secret', { Name: environment.secrets.jwt })[1];
      const jwtKeys = [(jwt.Properties.GenerateSecretString as { GenerateStringKey: string }).GenerateStringKey];
      // RDS writes username/password, and its secret attachment adds the connection keys.
      const databaseKeys = ['username', 'password', 'host', 'port', 'dbname', 'engine', 'dbInstanceIdentifier'];
      for (const externalSecret of rendered) {
        assert.equal(externalSecret.metadata.namespace, environment.namespace);
        assert.deepEqual(externalSecret.spec.secretStoreRef, {
          kind: 'ClusterSecretStore',
          name: externalSecrets.clusterSecretStore,
        });
        for (const { remoteRef } of externalSecret.spec.data) {
          assert.ok(secretNames.includes(remoteRef.key), `${remoteRef.key} is created by cluster/`);
          const keys = remoteRef.key === environment.secrets.jwt ? jwtKeys : databaseKeys;
          assert.ok(keys.includes(remoteRef.property), `${remoteRef.key} has the key ${remoteRef.property}`);
        }
      }
    });
  });
}
