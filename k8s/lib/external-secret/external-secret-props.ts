import type { HookDeletePolicy } from '../sync-waves.js';

export interface SecretEntry {
  /** Key in the Kubernetes Secret (the server's environment variable name). */
  readonly secretKey: string;
  /** Secrets Manager secret name. */
  readonly remoteKey: string;
  /** JSON key inside that secret. */
  readonly property: string;
}

/** Argo CD hook placement, for a secret that a PreSync hook needs before the Sync phase. */
export interface HookPlacement {
  readonly hook: 'PreSync';
  readonly wave: number;
  readonly deletePolicies: readonly HookDeletePolicy[];
}

export interface ExternalSecretProps {
  /** Name of the ExternalSecret and of the Secret it writes. */
  readonly name: string;
  /** The ClusterSecretStore (created by cluster/) that reads Secrets Manager. */
  readonly clusterSecretStore: string;
  /** What to copy: at least one entry, each Secret key once. */
  readonly entries: readonly SecretEntry[];
  /** How often ESO re-reads Secrets Manager, so a rotated value reaches the Secret without a deploy. @default 15m */
  readonly refreshInterval?: string;
  /** app.kubernetes.io/component of the ExternalSecret and its Secret. */
  readonly component: string;
  /** Sync wave as a normal resource; ignored when `hook` is set. @default 0 */
  readonly wave?: number;
  /**
   * Secret keys built from the copied values with ESO's template engine (v2, Go templates), e.g. a URL from host,
   * port and credentials. @default none
   */
  readonly templateData?: Readonly<Record<string, string>>;
  /** Make it an Argo CD hook instead of a normal resource. @default not a hook */
  readonly hook?: HookPlacement;
}
