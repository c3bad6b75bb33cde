import { Application } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application';
import { Construct } from 'constructs';
import type { ApiObject } from 'cdk8s';
import { service } from '../../../platform/service.js';
import { inClusterServer } from '../../../platform/service-project.js';
import { typedApiObject } from '../typed-object.js';
import { validate } from '../validation.js';
import { rolloutOwnedFields } from '../web-service/index.js';
import type { EnvironmentApplicationProps } from './argocd-application-props.js';

/** Deleting an Application deletes what it deployed (cascade) instead of orphaning it. */
export const cascadeFinalizer = 'resources-finalizer.argocd.argoproj.io';

/**
 * On an Application the root app manages: the root app never prunes it (a file removed from argocd/ leaves it
 * OutOfSync instead of deleted) and never deletes it when the root app itself is deleted.
 */
export const keepApplicationSyncOptions = { 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' } as const;

function validateProps(id: string, props: EnvironmentApplicationProps): void {
  const check = validate(`EnvironmentApplication "${id}"`)
    .dnsLabel('name', props.name)
    .dnsLabel('argocdNamespace', props.argocdNamespace)
    .dnsLabel('destinationNamespace', props.destinationNamespace)
    .check(
      props.project !== '' && props.project !== 'default',
      'project',
      'must name the service project, not "default"',
    )
    .check(
      /^(https:\/\/|ssh:\/\/|git@)/.test(props.source.repoURL),
      'source.repoURL',
      'must be an https or ssh git URL',
    )
    .check(props.source.targetRevision !== '', 'source.targetRevision', 'must name a branch, tag or commit')
    .check(
      props.path !== '' && !props.path.startsWith('/') && !props.path.split('/').includes('..'),
      'path',
      `must be a folder inside the repository (got "${props.path}")`,
    );
  if (props.retry) {
    const { limit, backoff } = props.retry;
    check
      .integer('retry.limit', limit, 1, 100)
      .integer('retry.backoff.factor', backoff.factor, 1, 10)
      .check(/^([1-9]\d*[smh])+$/.test(backoff.duration), 'retry.backoff.duration', 'must be a duration such as 10s')
      .check(
        /^([1-9]\d*[smh])+$/.test(backoff.maxDuration),
        'retry.backoff.maxDuration',
        'must be a duration such as 3m',
      );
  }
  check.done();
}

/**
 * One environment: syncs charts-out/<env> automatically, prunes what git removed, reverts manual drift, retries
 * with backoff, and leaves the replica count to the HPA. A protected one (production) outlives its own deletion.
 */
export class EnvironmentApplication extends Construct {
  readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string, props: EnvironmentApplicationProps) {
    validateProps(id, props);
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
          ...(props.protectFromDeletion
            ? { annotations: { ...keepApplicationSyncOptions } }
            : { finalizers: [cascadeFinalizer] }),
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
          // Production's Application is promoted with its manifests, so these always match what it runs.
          ignoreDifferences: rolloutOwnedFields(service.name),
          revisionHistoryLimit: 10,
        },
      }),
    );
  }
}
