import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Chart } from 'cdk8s';
import type { IExternalSecret } from '@kubernetes-models/external-secrets/external-secrets.io/v1/ExternalSecret';
import type { IRollout } from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import { externalSecrets } from '../../../platform/environments.js';
import { ExternalSecret } from '../../lib/external-secret/index.js';
import type { ExternalSecretProps } from '../../lib/external-secret/index.js';
import { assertRefused, freshChart } from '../refusals.js';
import { environmentObjects, environments, findObject } from '../rendered.js';

const durationSeconds = (value: string) => {
  const match = /^(\d+)([smh])$/.exec(value);
  assert.ok(match, `duration ${value}`);
  return Number(match[1]) * { s: 1, m: 60, h: 3600 }[match[2] as 's' | 'm' | 'h'];
};

for (const env of environments) {
  const externalSecretObjects = environmentObjects(env.name).filter(
    (object) => object.kind === 'ExternalSecret',
  ) as unknown as IExternalSecret[];

  /** The Secrets Manager secrets an ExternalSecret of these pods reads. */
  const remoteKeysOf = (secretName: string) =>
    new Set(
      externalSecretObjects
        .filter((externalSecret) => externalSecret.spec!.target!.name === secretName)
        .flatMap((externalSecret) => externalSecret.spec!.data!.map((entry) => entry.remoteRef.key)),
    );
  const secretNamesOf = (template: IPodTemplateSpec) =>
    new Set(
      (template.spec!.containers[0]!.env ?? []).flatMap((variable) => variable.valueFrom?.secretKeyRef?.name ?? []),
    );

  describe(`ExternalSecrets (${env.name})`, () => {
    it('give the server the application user (DML only) and the migration the migration user, never the master', () => {
      const rollout = findObject(env.name, 'Rollout') as unknown as IRollout;
      const job = findObject(env.name, 'Job', 'desktop-backend-migrate') as unknown as IJob;
      const serverSecrets = [...secretNamesOf(rollout.spec.template!)].flatMap((name) => [...remoteKeysOf(name)]);
      const migrationSecrets = [...secretNamesOf(job.spec!.template)].flatMap((name) => [...remoteKeysOf(name)]);
      assert.ok(serverSecrets.includes(env.secrets.databaseApp));
      assert.ok(!serverSecrets.includes(env.secrets.database) && !serverSecrets.includes(env.secrets.databaseMigrator));
      assert.deepEqual(migrationSecrets, [env.secrets.databaseMigrator]);
    });

    it('build REDIS_URL from the redis secret with TLS and escaped credentials, next to the copied keys', () => {
      const app = externalSecretObjects.find((candidate) => candidate.metadata!.name === 'desktop-backend')!;
      const template = app.spec!.target!.template!;
      assert.equal(template.mergePolicy, 'Merge', 'the DB_* and JWT_SECRET keys stay in the Secret');
      assert.match(
        template.data!.REDIS_URL!,
        /^rediss:\/\/\{\{ \.redis_username \| urlquery \}\}:\{\{ \.redis_password \| urlquery \}\}@/,
      );
      const copied = app.spec!.data!.map((entry) => entry.secretKey);
      for (const key of ['redis_host', 'redis_port', 'redis_username', 'redis_password'])
        assert.ok(copied.includes(key));
    });

    it("read only the environment's Secrets Manager secrets, by platform's keys, through the ClusterSecretStore", () => {
      const databaseKeys = Object.values(externalSecrets.databaseKeys);
      const allowed = new Map<string, string[]>([
        [env.secrets.database, databaseKeys],
        [env.secrets.databaseApp, databaseKeys],
        [env.secrets.databaseMigrator, databaseKeys],
        [env.secrets.jwt, Object.values(externalSecrets.jwtKeys)],
        [env.secrets.redis, Object.values(externalSecrets.redisKeys)],
      ]);
      for (const externalSecret of externalSecretObjects) {
        assert.deepEqual(externalSecret.spec!.secretStoreRef, {
          kind: 'ClusterSecretStore',
          name: externalSecrets.clusterSecretStore,
        });
        for (const entry of externalSecret.spec!.data!) {
          assert.ok(allowed.get(entry.remoteRef.key)?.includes(entry.remoteRef.property!), JSON.stringify(entry));
        }
      }
    });

    it('refresh often enough for a rotated value to arrive within the hour', () => {
      for (const externalSecret of externalSecretObjects) {
        assert.ok(durationSeconds(externalSecret.spec!.refreshInterval!) <= 3600);
      }
    });

    it('provide every Secret key the server and the migration read, in Secrets the ExternalSecrets own', () => {
      const produced = new Map(
        externalSecretObjects.map((externalSecret) => {
          assert.equal(externalSecret.spec!.target!.creationPolicy, 'Owner');
          const templated = Object.keys(externalSecret.spec!.target!.template?.data ?? {});
          return [
            externalSecret.spec!.target!.name!,
            [...externalSecret.spec!.data!.map((entry) => entry.secretKey), ...templated],
          ];
        }),
      );
      const rollout = findObject(env.name, 'Rollout') as unknown as IRollout;
      const job = findObject(env.name, 'Job', 'desktop-backend-migrate') as unknown as IJob;
      const references = [rollout.spec.template!, job.spec!.template].flatMap((template) =>
        (template.spec!.containers[0]!.env ?? []).flatMap((variable) => variable.valueFrom?.secretKeyRef ?? []),
      );
      assert.ok(references.length >= 9);
      for (const reference of references) {
        assert.ok(produced.get(reference.name!)?.includes(reference.key), `${reference.name}/${reference.key}`);
      }
    });
  });
}

describe('ExternalSecret props', () => {
  const entry = { secretKey: 'DB_PASSWORD', remoteKey: 'desktop-backend/staging/database', property: 'password' };
  const valid: ExternalSecretProps = {
    name: 'desktop-backend',
    clusterSecretStore: externalSecrets.clusterSecretStore,
    entries: [entry],
    component: 'secrets',
  };
  const build = (overrides: Partial<ExternalSecretProps>) => (chart: Chart) =>
    new ExternalSecret(chart, 'secret', { ...valid, ...overrides });

  it('accepts the props the charts use', () => {
    assert.doesNotThrow(() => new ExternalSecret(freshChart(), 'secret', valid));
  });

  it('refuses an empty Secret and a Secret key written twice', () => {
    assertRefused(build({ entries: [] }), 'ExternalSecret', 'entries', /at least one/);
    assertRefused(
      build({ entries: [entry, { ...entry, property: 'username' }] }),
      'ExternalSecret',
      'entries',
      /DB_PASSWORD/,
    );
  });

  it('refuses a refresh interval ESO cannot parse', () => {
    assertRefused(build({ refreshInterval: '15 minutes' }), 'ExternalSecret', 'refreshInterval');
  });
});
