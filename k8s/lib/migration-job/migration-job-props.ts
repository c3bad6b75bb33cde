import type { Duration } from 'cdk8s';
import type { Environment } from '../../../platform/environments.js';
import type { ServerContract } from '../../../platform/server-contract.js';
import type { SecretEntry } from '../external-secret/index.js';

export interface MigrationJobProps {
  /** The environment: its name goes into the pod labels its NetworkPolicy selects. */
  readonly env: Environment;
  /** Name of the Job; its ExternalSecret and Secret are named `<name>-db`. */
  readonly name: string;
  /** The server's image: the migrations ship in it and run with its command. */
  readonly image: string;
  /** Image tag: the app.kubernetes.io/version label of the Job's pods. */
  readonly version: string;
  /** Image layout, user and the migrate command. */
  readonly contract: ServerContract;
  /** The ClusterSecretStore the Job's own ExternalSecret reads through. */
  readonly clusterSecretStore: string;
  /** Database credentials the migration reads: Secret key (the variable name) → Secrets Manager key and property. */
  readonly databaseEntries: readonly SecretEntry[];
  /** Plain environment variables (DB_NAME, NODE_ENV, LOG_LEVEL). */
  readonly environment: Readonly<Record<string, string>>;
  /** What the Job runs from the image. @default the contract's migrate command */
  readonly command?: readonly string[];
  /** app.kubernetes.io/component of the Job, its pods (their selector), Secret and NetworkPolicy. @default migration */
  readonly component?: string;
  /** PreSync wave of the Job; its Secret and NetworkPolicy come in wave 0. @default syncWaves.migration */
  readonly wave?: number;
  /** @default 2 */
  readonly backoffLimit?: number;
  /** A migration that runs longer is killed and the sync fails. @default 10 minutes */
  readonly activeDeadline?: Duration;
  /** A failed Job stays this long for `kubectl logs` unless the next sync replaces it first. @default 1 day */
  readonly ttlAfterFinished?: Duration;
}
