import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { IAppProject } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject';
import type { IApplication } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application';
import { argocd, gitRepository } from '../../../platform/environments.js';
import { cascadeFinalizer } from '../../lib/argocd-application/index.js';
import { namespaceLabelKeys } from '../../lib/namespace/index.js';
import { argocdObjects, environmentObjects, environments, renderRoot, repoRoot } from '../rendered.js';

const applications = argocdObjects.filter((object) => object.kind === 'Application') as unknown as IApplication[];
const projects = argocdObjects.filter((object) => object.kind === 'AppProject') as unknown as IAppProject[];

describe('argocd/', () => {
  it('holds only the AppProject and the Applications, in the Argo CD namespace', () => {
    assert.deepEqual([...new Set(argocdObjects.map((object) => object.kind))].sort(), ['AppProject', 'Application']);
    assert.equal(projects.length, 1);
    for (const object of argocdObjects) assert.equal(object.metadata.namespace, argocd.namespace);
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

  it("confines the service's project to this repository, its namespaces and the kinds it renders", () => {
    const project = projects[0]!;
    assert.equal(project.metadata.name, argocd.project);
    assert.notEqual(argocd.project, 'default');
    assert.deepEqual(project.spec.sourceRepos, [gitRepository.url]);
    assert.deepEqual(
      project.spec.destinations!.map((destination) => destination.namespace).sort(),
      environments.map((env) => env.namespace).sort(),
    );
    const rendered = new Set(
      environments.flatMap((env) =>
        environmentObjects(env.name).map((object) => {
          const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : '';
          return `${group}/${object.kind}`;
        }),
      ),
    );
    const allowed = new Set(project.spec.namespaceResourceWhitelist!.map(({ group, kind }) => `${group}/${kind}`));
    assert.deepEqual([...allowed].sort(), [...rendered].sort());
    // Cluster-wide, only the Namespaces Argo CD creates for the environments, by name: never another namespace.
    assert.deepEqual(
      project.spec.clusterResourceWhitelist,
      environments.map((env) => ({ group: '', kind: 'Namespace', name: env.namespace })),
    );
    for (const application of applications) assert.equal(application.spec.project, argocd.project);
  });

  for (const env of environments) {
    const application = applications.find((candidate) => candidate.spec.destination.namespace === env.namespace)!;
    const policy = application.spec.syncPolicy!;

    it(`syncs ${env.name} automatically: prune, self-heal, retry with backoff, cascade delete`, () => {
      assert.equal(policy.automated?.prune, true);
      assert.equal(policy.automated.selfHeal, true);
      assert.ok(policy.retry?.limit && policy.retry.limit > 0);
      assert.ok(policy.retry.backoff?.duration && policy.retry.backoff.factor && policy.retry.backoff.maxDuration);
      assert.ok(application.metadata.finalizers?.includes(cascadeFinalizer));
    });

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
  }
});
