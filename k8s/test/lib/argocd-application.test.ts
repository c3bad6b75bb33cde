import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { IApplication } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application';
import { argocd, gitRepository } from '../../../platform/environments.js';
import { serviceProjectKinds, serviceProjectSpec } from '../../../platform/service-project.js';
import type { Chart } from 'cdk8s';
import {
  cascadeFinalizer,
  EnvironmentApplication,
  keepApplicationSyncOptions,
  type EnvironmentApplicationProps,
} from '../../lib/argocd-application/index.js';
import { namespaceLabelKeys } from '../../lib/namespace-labels/index.js';
import { argocdObjects, environmentObjects, environments, renderRoot, repoRoot } from '../rendered.js';
import { assertRefused, freshChart, stagingEnv } from '../refusals.js';

const applications = argocdObjects.filter((object) => object.kind === 'Application') as unknown as IApplication[];

describe('argocd/', () => {
  it('holds only Applications, in the Argo CD namespace, all in the service project (cluster/ owns the projects)', () => {
    assert.deepEqual([...new Set(argocdObjects.map((object) => object.kind))], ['Application']);
    for (const object of argocdObjects) assert.equal(object.metadata.namespace, argocd.namespace);
    for (const application of applications) assert.equal(application.spec.project, argocd.project);
    assert.notEqual(argocd.project, 'default');
  });

  it("has exactly one Application per platform environment, each on that environment's charts-out folder", () => {
    assert.deepEqual(
      applications.map((application) => application.spec.source?.path).sort(),
      environments.map((env) => `${gitRepository.chartsDir}/${env.name}`).sort(),
    );
    for (const env of environments) {
      const application = applications.find((candidate) => candidate.spec.destination.namespace === env.namespace);
      assert.equal(application?.spec.source?.path, `${gitRepository.chartsDir}/${env.name}`);
    }
  });

  it('points every Application at a folder of rendered manifests that exists in this repository', () => {
    for (const application of applications) {
      const path = application.spec.source!.path!;
      for (const root of [repoRoot, renderRoot]) {
        assert.ok(existsSync(join(root, path)) && statSync(join(root, path)).isDirectory(), `${root}/${path}`);
      }
      assert.equal(application.spec.source!.repoURL, gitRepository.url);
      assert.equal(application.spec.source!.targetRevision, gitRepository.targetRevision);
    }
  });

  it('lists every kind the environments render in the service project cluster/ creates, and its namespace only', () => {
    const allowed = new Set(serviceProjectKinds.map(({ group, kind }) => `${group}/${kind}`));
    for (const env of environments) {
      for (const object of environmentObjects(env.name)) {
        const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : '';
        assert.ok(allowed.has(`${group}/${object.kind}`), `${group}/${object.kind} is in platform/service-project.ts`);
      }
      const spec = serviceProjectSpec(env) as {
        destinations: { namespace: string }[];
        clusterResourceWhitelist: unknown[];
        sourceRepos: string[];
      };
      assert.deepEqual(
        spec.destinations.map((destination) => destination.namespace),
        [env.namespace],
      );
      assert.deepEqual(spec.clusterResourceWhitelist, [{ group: '', kind: 'Namespace', name: env.namespace }]);
      assert.deepEqual(spec.sourceRepos, [gitRepository.url]);
    }
  });

  for (const env of environments) {
    const application = applications.find((candidate) => candidate.spec.destination.namespace === env.namespace)!;
    const policy = application.spec.syncPolicy!;

    it(`syncs ${env.name} automatically: prune, self-heal, retry with backoff`, () => {
      assert.equal(policy.automated?.prune, true);
      assert.equal(policy.automated.selfHeal, true);
      assert.ok(policy.retry?.limit && policy.retry.limit > 0);
      assert.ok(policy.retry.backoff?.duration && policy.retry.backoff.factor && policy.retry.backoff.maxDuration);
    });

    if (env.production) {
      it(`keeps ${env.name} running when its Application is deleted or renamed in git (no cascade, no prune)`, () => {
        assert.equal(application.metadata.finalizers, undefined, 'no resources-finalizer: deletion orphans');
        const syncOptions = application.metadata.annotations?.['argocd.argoproj.io/sync-options'] ?? '';
        assert.deepEqual(
          syncOptions.split(',').sort(),
          ['Delete=false', 'Prune=false'],
          'the root app neither prunes it nor deletes it with itself',
        );
        assert.deepEqual(keepApplicationSyncOptions, { 'argocd.argoproj.io/sync-options': syncOptions });
      });
    } else {
      it(`cleans ${env.name} up when its Application is deleted (cascade finalizer)`, () => {
        assert.deepEqual(application.metadata.finalizers, [cascadeFinalizer]);
      });
    }

    it(`creates the ${env.name} namespace before the PreSync hook, with readiness-gate and restricted labels`, () => {
      assert.ok(policy.syncOptions?.includes('CreateNamespace=true'));
      const labels = policy.managedNamespaceMetadata?.labels ?? {};
      assert.equal(labels[namespaceLabelKeys.readinessGateInject], 'enabled');
      assert.equal(labels[namespaceLabelKeys.podSecurityEnforce], 'restricted');
    });

    it(`leaves the replica count of ${env.name} to the HPA and the canary's routing to Argo Rollouts`, () => {
      assert.ok(policy.syncOptions?.includes('RespectIgnoreDifferences=true'));
      const ignored = (kind: string, name: string, pointer: string) =>
        application.spec.ignoreDifferences?.some(
          (rule) => rule.kind === kind && rule.name === name && rule.jsonPointers?.includes(pointer),
        );
      assert.ok(ignored('Rollout', 'desktop-backend', '/spec/replicas'));
      assert.ok(ignored('Service', 'desktop-backend-stable', '/spec/selector'));
      assert.ok(ignored('Service', 'desktop-backend-canary', '/spec/selector'));
      assert.ok(
        ignored(
          'Ingress',
          'desktop-backend',
          '/metadata/annotations/alb.ingress.kubernetes.io~1actions.desktop-backend',
        ),
      );
      // Everything else stays Argo CD's: the root Service's selector is not ignored.
      assert.ok(!ignored('Service', 'desktop-backend', '/spec/selector'));
    });

    it(`ignores fields only of objects ${env.name} renders (the Application is promoted with them)`, () => {
      const objects = environmentObjects(env.name);
      for (const rule of application.spec.ignoreDifferences ?? []) {
        const group = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0] : '');
        assert.ok(
          objects.some(
            (object) =>
              object.kind === rule.kind &&
              group(object.apiVersion) === (rule.group ?? '') &&
              (rule.name === undefined || object.metadata.name === rule.name),
          ),
          `ignoreDifferences names ${rule.group ?? ''}/${rule.kind} ${rule.name ?? '(any name)'}, which is not rendered`,
        );
      }
    });
  }
});

describe('EnvironmentApplication props', () => {
  const valid: EnvironmentApplicationProps = {
    name: 'desktop-backend-staging',
    argocdNamespace: argocd.namespace,
    project: argocd.project,
    source: { repoURL: gitRepository.url, targetRevision: gitRepository.targetRevision },
    path: `${gitRepository.chartsDir}/${stagingEnv.name}`,
    destinationNamespace: stagingEnv.namespace,
    namespaceLabels: {},
    labels: {},
    protectFromDeletion: false,
  };
  const build = (overrides: Partial<EnvironmentApplicationProps>) => (chart: Chart) =>
    new EnvironmentApplication(chart, 'app', { ...valid, ...overrides });

  it('accepts the props the Argo CD chart uses', () => {
    assert.doesNotThrow(() => new EnvironmentApplication(freshChart(), 'app', valid));
  });

  it('refuses the default project, a bad name or namespace, a path outside the repository', () => {
    assertRefused(build({ project: 'default' }), 'EnvironmentApplication', 'project');
    assertRefused(build({ name: 'Desktop_Backend' }), 'EnvironmentApplication', 'name');
    assertRefused(build({ destinationNamespace: '' }), 'EnvironmentApplication', 'destinationNamespace');
    assertRefused(build({ path: '../elsewhere' }), 'EnvironmentApplication', 'path', /inside the repository/);
    assertRefused(
      build({ source: { repoURL: 'github.com/x/y', targetRevision: 'main' } }),
      'EnvironmentApplication',
      'source.repoURL',
    );
  });

  it('refuses a retry policy Argo CD cannot follow', () => {
    const backoff = { duration: '10s', factor: 2, maxDuration: '3m' };
    assertRefused(build({ retry: { limit: 0, backoff } }), 'EnvironmentApplication', 'retry.limit');
    assertRefused(
      build({ retry: { limit: 5, backoff: { ...backoff, maxDuration: '3 minutes' } } }),
      'EnvironmentApplication',
      'retry.backoff.maxDuration',
    );
  });
});
