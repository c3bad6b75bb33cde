import type { Labels } from '../labels.js';
import type { NamespaceMetadataProps } from './namespace-labels-props.js';

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
 * managedNamespaceMetadata), and there is deliberately no Namespace object in charts-out/:
 *
 * - CreateNamespace creates the destination namespace as a PreSync task (gitops-engine `autoCreateNamespace`), so it
 *   exists before the PreSync migration hooks that run in it. A Namespace object without hook annotations is applied
 *   in the Sync phase, after those hooks: the first sync of an environment would fail.
 * - A Namespace object named like the destination also switches CreateNamespace off: `autoCreateNamespace` skips the
 *   creation when the manifests contain one. So "both" is not an option either.
 * - managedNamespaceMetadata is applied to the namespace on every sync, also when it already exists, so the
 *   readiness-gate and Pod Security labels cannot drift.
 *
 * The AppProject must allow the cluster-scoped kind Namespace for this: Argo CD checks the namespace it creates
 * against the project ("Namespace is not permitted in project" otherwise).
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
