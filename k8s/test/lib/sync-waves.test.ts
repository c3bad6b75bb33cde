import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import { serverContract } from '../../../platform/server-contract.js';
import { argoAnnotations } from '../../lib/sync-waves.js';
import { environmentObjects, environments, findObject } from '../rendered.js';
import type { KubeObject } from '../rendered.js';

/** Where Argo CD applies an object: phase first (PreSync hooks before Sync), then wave. */
function placement(object: KubeObject): { phase: string; wave: number } {
  const annotations = object.metadata.annotations ?? {};
  const wave = annotations[argoAnnotations.syncWave];
  assert.ok(wave !== undefined, `${object.kind}/${object.metadata.name} has an explicit sync wave`);
  return { phase: annotations[argoAnnotations.hook] ?? 'Sync', wave: Number(wave) };
}

const phaseOrder = ['PreSync', 'Sync'];
function before(first: KubeObject, second: KubeObject): boolean {
  const a = placement(first);
  const b = placement(second);
  const phases = phaseOrder.indexOf(a.phase) - phaseOrder.indexOf(b.phase);
  return phases < 0 || (phases === 0 && a.wave < b.wave);
}

for (const env of environments) {
  const objects = environmentObjects(env.name);
  const job = findObject(env.name, 'Job', 'desktop-backend-migrate');
  const rollout = findObject(env.name, 'Rollout');
  const appSecret = objects.find((object) => object.kind === 'ExternalSecret' && placement(object).phase === 'Sync')!;
  const migrationSecret = findObject(env.name, 'ExternalSecret', 'desktop-backend-migrate-db');
  const usersJob = findObject(env.name, 'Job', 'desktop-backend-db-users');

  describe(`sync order (${env.name})`, () => {
    it('runs the migration as a PreSync hook, after its own ExternalSecret hook, before everything else', () => {
      assert.equal(placement(job).phase, 'PreSync');
      assert.ok(migrationSecret, 'the migration has an ExternalSecret hook');
      assert.ok(before(migrationSecret, job));
      const migrationSecretName = migrationSecret.metadata.name;
      const references = ((job as unknown as IJob).spec!.template.spec!.containers[0]!.env ?? []).flatMap(
        (variable) => variable.valueFrom?.secretKeyRef?.name ?? [],
      );
      assert.deepEqual([...new Set(references)], [migrationSecretName]);
      for (const object of objects.filter((candidate) => placement(candidate).phase === 'Sync')) {
        assert.ok(before(job, object), `${object.kind} is applied after the migration`);
      }
    });

    it('creates the database users (with the master secret) before the migration runs as the migration user', () => {
      assert.equal(placement(usersJob).phase, 'PreSync');
      assert.ok(before(findObject(env.name, 'ExternalSecret', 'desktop-backend-db-users-db'), usersJob));
      assert.ok(before(usersJob, job), 'the users exist before the migration connects as one of them');
      const usersCommand = (usersJob as unknown as IJob).spec!.template.spec!.containers[0]!.command;
      assert.deepEqual(usersCommand, [...serverContract.image.provisionDatabaseUsersCommand]);
      const variables = ((usersJob as unknown as IJob).spec!.template.spec!.containers[0]!.env ?? []).map(
        (variable) => variable.name,
      );
      for (const name of ['DB_USER', 'DB_PASSWORD', 'DB_APP_USER', 'DB_APP_PASSWORD', 'DB_MIGRATOR_USER']) {
        assert.ok(variables.includes(name), name);
      }
    });

    it('re-creates hooks on every sync and keeps a failed migration for its logs', () => {
      const policies = (object: KubeObject) =>
        object.metadata.annotations![argoAnnotations.hookDeletePolicy]!.split(',');
      assert.ok(policies(job).includes('BeforeHookCreation'));
      assert.ok(policies(job).includes('HookSucceeded'));
      assert.ok(!policies(job).includes('HookFailed'));
      // Deleting the secret hook when it turns healthy would delete the Secret before the Job starts.
      assert.deepEqual(policies(migrationSecret), ['BeforeHookCreation']);
      const spec = (job as unknown as IJob).spec!;
      assert.ok(spec.backoffLimit !== undefined && spec.activeDeadlineSeconds !== undefined);
      assert.ok(spec.ttlSecondsAfterFinished! >= 3600, 'Argo CD must see the Job finish before the TTL removes it');
    });

    it('applies the Secret, then the Service and Ingress, then the pods (so they get the ALB readiness gates)', () => {
      const service = findObject(env.name, 'Service', 'desktop-backend');
      const ingress = findObject(env.name, 'Ingress');
      assert.ok(before(appSecret, rollout));
      assert.ok(before(service, rollout));
      assert.ok(before(ingress, rollout));
      for (const role of ['stable', 'canary']) {
        assert.ok(before(findObject(env.name, 'Service', `desktop-backend-${role}`), rollout), `${role} Service`);
      }
      // The analysis steps name the template: it must exist before the Rollout can reach its first analysis.
      assert.ok(before(findObject(env.name, 'AnalysisTemplate'), rollout));
      assert.ok(!before(findObject(env.name, 'HorizontalPodAutoscaler'), rollout));
    });

    it('renders no Namespace: Argo CD creates it before the PreSync hooks (see the Application)', () => {
      assert.equal(objects.filter((object) => object.kind === 'Namespace').length, 0);
      for (const object of objects) assert.equal(object.metadata.namespace, env.namespace);
    });
  });
}
