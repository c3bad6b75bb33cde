/**
 * The Argo CD AppProject of the service: what its Applications may deploy. cluster/ creates it (the Argo CD add-on),
 * so widening it is a change to platform/ or cluster/, which CODEOWNERS gives to the platform owners; a change to k8s/
 * alone can never grant the service's Applications a new kind. k8s/test checks that every kind the rendered manifests
 * hold is listed here.
 */
import { argocd, gitRepository } from './environments.js';
import type { Environment } from './environments.js';

export interface ResourceKind {
  /** API group; "" for the core group. */
  readonly group: string;
  readonly kind: string;
}

/**
 * Namespaced kinds the service's Applications may manage in their environment's namespace. Deployment and Rollout are
 * both listed while production may still run the Deployment that staging has replaced (promotion is later).
 */
export const serviceProjectKinds: readonly ResourceKind[] = [
  { group: '', kind: 'ConfigMap' },
  { group: '', kind: 'Service' },
  { group: '', kind: 'ServiceAccount' },
  { group: 'apps', kind: 'Deployment' },
  { group: 'argoproj.io', kind: 'AnalysisTemplate' },
  { group: 'argoproj.io', kind: 'Rollout' },
  { group: 'autoscaling', kind: 'HorizontalPodAutoscaler' },
  { group: 'batch', kind: 'Job' },
  { group: 'external-secrets.io', kind: 'ExternalSecret' },
  { group: 'monitoring.coreos.com', kind: 'PrometheusRule' },
  { group: 'monitoring.coreos.com', kind: 'ServiceMonitor' },
  { group: 'networking.k8s.io', kind: 'Ingress' },
  { group: 'networking.k8s.io', kind: 'NetworkPolicy' },
  { group: 'policy', kind: 'PodDisruptionBudget' },
];

/** The in-cluster API server, as Argo CD names it. */
export const inClusterServer = 'https://kubernetes.default.svc';

/**
 * The AppProject's spec for the cluster of one environment: this repository only, that environment's namespace
 * only, the kinds above and, cluster-wide, only that namespace (Argo CD creates it: CreateNamespace; `name` in the
 * whitelist needs Argo CD 3.2+).
 */
export function serviceProjectSpec(env: Environment, repoUrl: string = gitRepository.url): Record<string, unknown> {
  return {
    description: `${argocd.project}: ${gitRepository.chartsDir}/${env.name} into ${env.namespace}`,
    sourceRepos: [repoUrl],
    destinations: [{ server: inClusterServer, namespace: env.namespace }],
    clusterResourceWhitelist: [{ group: '', kind: 'Namespace', name: env.namespace }],
    namespaceResourceWhitelist: serviceProjectKinds.map(({ group, kind }) => ({ group, kind })),
    // Objects in the namespace that git does not know about show up as warnings in the UI.
    orphanedResources: { warn: true },
  };
}
