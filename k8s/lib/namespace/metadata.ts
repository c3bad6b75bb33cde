import type { Labels } from '../labels.js';
import type { NamespaceMetadataProps } from './props.js';

export const namespaceLabelKeys = {
  /** The AWS Load Balancer Controller's webhook injects target-health readiness gates into pods of this namespace. */
  readinessGateInject: 'elbv2.k8s.aws/pod-readiness-gate-inject',
  podSecurityEnforce: 'pod-security.kubernetes.io/enforce',
  podSecurityEnforceVersion: 'pod-security.kubernetes.io/enforce-version',
  podSecurityAudit: 'pod-security.kubernetes.io/audit',
  podSecurityWarn: 'pod-security.kubernetes.io/warn',
} as const;

/**
 * Labels of the service's namespace. Argo CD creates the namespace with them (CreateNamespace with
 * managedNamespaceMetadata) before the PreSync hooks run; a Namespace object among the manifests would only be
 * applied in the Sync phase, after the migration that needs it.
 */
export function namespaceLabels(props: NamespaceMetadataProps): Labels {
  return {
    ...props.labels,
    [namespaceLabelKeys.readinessGateInject]: 'enabled',
    [namespaceLabelKeys.podSecurityEnforce]: 'restricted',
    [namespaceLabelKeys.podSecurityEnforceVersion]: `v${props.kubernetesVersion}`,
    [namespaceLabelKeys.podSecurityAudit]: 'restricted',
    [namespaceLabelKeys.podSecurityWarn]: 'restricted',
  };
}
