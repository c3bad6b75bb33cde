import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import type { Environment } from '../../../../platform/environments.js';
import type { HelmChartPin } from '../helm-addon/index.js';
import type { ArgoCdOperations } from './argocd-operations.js';

export interface ArgoCdOidc {
  readonly name: string;
  readonly issuer: string;
  readonly clientId: string;
  /** Groups of the token's `groups` claim bound to role:admin. */
  readonly adminGroups: readonly string[];
}

export interface ArgoCdProps {
  readonly cluster: eks.ICluster;
  /** Git repository the root Application syncs. */
  readonly repoUrl: string;
  readonly targetRevision: string;
  /** Folder of Argo CD Applications in the repository (platform.gitRepository.argocdDir). */
  readonly path: string;
  /** Glob of the files in `path` this cluster applies: its environment's Application. */
  readonly include: string;
  /** The environment this cluster runs: the service's AppProject admits its namespace only. */
  readonly environment: Environment;
  /** Name of the root Application and its AppProject's prefix. */
  readonly rootName: string;
  /** Built-in admin with a password generated in the cluster (argocd-initial-admin-secret). */
  readonly adminEnabled: boolean;
  readonly oidc?: ArgoCdOidc;
  /** @default chartPins.argoCd */
  readonly pin?: HelmChartPin;
  /** Replicas and notifications. @default no HA, OutOfSync notified after 30 minutes */
  readonly operations?: ArgoCdOperations;
}
