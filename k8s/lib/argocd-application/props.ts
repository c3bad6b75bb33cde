import type { Labels } from '../labels.js';

export interface ResourceKind {
  /** API group; "" for the core group. */
  readonly group: string;
  readonly kind: string;
}

export interface GitSource {
  readonly repoURL: string;
  readonly targetRevision: string;
}

export interface ServiceProjectProps {
  readonly name: string;
  /** Namespace Argo CD runs in. */
  readonly argocdNamespace: string;
  readonly description: string;
  readonly sourceRepo: string;
  /** The namespaces the service's Applications deploy to, on the cluster Argo CD runs in. */
  readonly destinationNamespaces: readonly string[];
  /** Namespaced kinds the Applications may manage: exactly those the rendered manifests contain. */
  readonly namespacedKinds: readonly ResourceKind[];
  readonly labels: Labels;
}

export interface EnvironmentApplicationProps {
  readonly name: string;
  readonly argocdNamespace: string;
  readonly project: string;
  readonly source: GitSource;
  /** Folder of the environment's rendered manifests, e.g. charts-out/staging. */
  readonly path: string;
  readonly destinationNamespace: string;
  /** Labels Argo CD puts on the namespace it creates. */
  readonly namespaceLabels: Labels;
  readonly labels: Labels;
  /** @default 5 attempts, 10s doubling up to 3m */
  readonly retry?: {
    readonly limit: number;
    readonly backoff: { duration: string; factor: number; maxDuration: string };
  };
}
