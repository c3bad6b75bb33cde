/**
 * Argo CD applies a sync in phases (PreSync hooks, then Sync), and within a phase in waves, waiting for each wave to
 * be healthy before the next one. The order this service needs:
 *
 * PreSync (hooks, re-created on every sync):
 *   namespace           created by the Application (CreateNamespace + managedNamespaceMetadata) before any hook; a
 *                       Namespace object in charts-out/ would only be applied in the Sync phase, after the migration.
 *   0 migrationSecret   ExternalSecret of the DB credentials for the migration; healthy once the Secret exists.
 *     and NetworkPolicy of the migration pods (DNS and MySQL out, nothing in), in place before the Job's pod starts.
 *   1 provisionDatabaseUsers  the Job that creates or updates the application (DML) and migration (DDL) users with
 *                       the master credentials (`npm run db:provision-users`), its own Secret read from the master,
 *                       app and migrator secrets; idempotent, so it runs on every sync.
 *   2 migration         the migration Job, as the migration user; the sync stops here if it fails, so no pod of the
 *                       new release starts on an old schema.
 * Sync:
 *   0 foundation        ServiceAccount, app ExternalSecret, NetworkPolicy, monitoring objects, AnalysisTemplate.
 *   1 traffic           root, stable and canary Services and the Ingress (rendered with its 100 % stable action):
 *                       the ALB target groups must exist before pods are created, otherwise the controller's
 *                       webhook injects no readiness gate into them.
 *   2 workload          Rollout, HorizontalPodAutoscaler, PodDisruptionBudget.
 */
export const syncWaves = {
  migrationSecret: 0,
  provisionDatabaseUsers: 1,
  migration: 2,
  foundation: 0,
  traffic: 1,
  workload: 2,
} as const;

export const argoAnnotations = {
  syncWave: 'argocd.argoproj.io/sync-wave',
  hook: 'argocd.argoproj.io/hook',
  hookDeletePolicy: 'argocd.argoproj.io/hook-delete-policy',
} as const;

export function syncWave(wave: number): Record<string, string> {
  return { [argoAnnotations.syncWave]: String(wave) };
}

export type HookDeletePolicy = 'BeforeHookCreation' | 'HookSucceeded' | 'HookFailed';

/** An Argo CD hook (re-created by every sync, never pruned), in its wave, with its delete policies. */
export function hookAnnotations(
  hook: 'PreSync' | 'Sync' | 'PostSync',
  wave: number,
  deletePolicies: readonly HookDeletePolicy[],
): Record<string, string> {
  return {
    [argoAnnotations.hook]: hook,
    [argoAnnotations.hookDeletePolicy]: deletePolicies.join(','),
    ...syncWave(wave),
  };
}
