import { AppProject } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject';
import { Application } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application';
import { Construct } from 'constructs';
import type { ApiObject } from 'cdk8s';
import { syncWave } from '../sync-waves.js';
import { service } from '../../../platform/service.js';
import { typedApiObject } from '../typed-object.js';
import { rolloutOwnedFields } from '../web-service/index.js';
import type { EnvironmentApplicationProps, ServiceProjectProps } from './props.js';

/** The API server of the cluster Argo CD runs in. */
export const inClusterServer = 'https://kubernetes.default.svc';

/** Deleting an Application deletes what it deployed (cascade) instead of orphaning it. */
export const cascadeFinalizer = 'resources-finalizer.argocd.argoproj.io';

/**
 * The AppProject of the service: this repository only, the environments' namespaces only, the namespaced kinds the
 * manifests contain and, cluster-wide, only the environments' own Namespaces (Argo CD creates them: CreateNamespace).
 */
export class ServiceProject extends Construct {
  readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string, props: ServiceProjectProps) {
    super(scope, id);
    this.apiObject = typedApiObject(
      this,
      'resource',
      new AppProject({
        metadata: {
          name: props.name,
          namespace: props.argocdNamespace,
          labels: props.labels,
          // The root app applies the project before the Applications that name it.
          annotations: syncWave(-1),
        },
        spec: {
          description: props.description,
          sourceRepos: [props.sourceRepo],
          destinations: props.destinationNamespaces.map((namespace) => ({ server: inClusterServer, namespace })),
          // CreateNamespace needs the kind Namespace allowed; `name` (Argo CD 3.2+) narrows it to the environments' own
          // namespaces, so an Application of this project can never create, relabel or prune any other namespace.
          clusterResourceWhitelist: props.destinationNamespaces.map((namespace) => ({
            group: '',
            kind: 'Namespace',
            name: namespace,
          })),
          namespaceResourceWhitelist: props.namespacedKinds.map(({ group, kind }) => ({ group, kind })),
          // Objects in the namespaces that git does not know about show up as warnings in the UI.
          orphanedResources: { warn: true },
        },
      }),
    );
  }
}

/**
 * One environment: syncs charts-out/<env> automatically, prunes what git removed, reverts manual drift, retries
 * with backoff, and leaves the replica count to the HPA.
 */
export class EnvironmentApplication extends Construct {
  readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string, props: EnvironmentApplicationProps) {
    super(scope, id);
    const retry = props.retry ?? { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } };
    this.apiObject = typedApiObject(
      this,
      'resource',
      new Application({
        metadata: {
          name: props.name,
          namespace: props.argocdNamespace,
          labels: props.labels,
          finalizers: [cascadeFinalizer],
        },
        spec: {
          project: props.project,
          source: {
            repoURL: props.source.repoURL,
            targetRevision: props.source.targetRevision,
            path: props.path,
            directory: { recurse: false },
          },
          destination: { server: inClusterServer, namespace: props.destinationNamespace },
          syncPolicy: {
            automated: { prune: true, selfHeal: true },
            syncOptions: [
              // The PreSync migration runs in the namespace, so Argo CD creates it before any hook.
              'CreateNamespace=true',
              // Deletions happen after the new objects are healthy.
              'PruneLast=true',
              // Syncs leave the ignored fields below alone instead of resetting them to git.
              'RespectIgnoreDifferences=true',
            ],
            managedNamespaceMetadata: { labels: props.namespaceLabels },
            retry,
          },
          // What the HPA and Argo Rollouts own at run time (see rolloutOwnedFields): never a diff, never reset.
          ignoreDifferences: rolloutOwnedFields(service.name),
          revisionHistoryLimit: 10,
        },
      }),
    );
  }
}
