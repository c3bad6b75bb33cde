import type { Labels } from '../labels.js';

export interface GitSource {
  readonly repoURL: string;
  readonly targetRevision: string;
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
  /**
   * Production: deleting or renaming this Application (one commit to argocd/) must not delete what it deployed. No
   * cascade finalizer, and the root app neither prunes it nor deletes it with itself.
   */
  readonly protectFromDeletion: boolean;
  /** @default 5 attempts, 10s doubling up to 3m */
  readonly retry?: {
    readonly limit: number;
    readonly backoff: { duration: string; factor: number; maxDuration: string };
  };
}
