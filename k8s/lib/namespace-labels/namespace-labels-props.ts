import type { Labels } from '../labels.js';

export interface NamespaceMetadataProps {
  /** Kubernetes minor version the Pod Security standard is pinned to, e.g. "1.36". */
  readonly kubernetesVersion: string;
  /** Recommended labels of the service. */
  readonly labels: Labels;
}
