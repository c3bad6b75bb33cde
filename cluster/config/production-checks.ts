import type { Environment } from '../../platform/environments.js';

/** The settings these checks read (a subset of the cluster settings). */
interface CheckedSettings {
  readonly argocd: { readonly adminEnabled: boolean; readonly oidc?: { readonly adminGroups: readonly string[] } };
  readonly argocdOperations: { readonly highAvailability: boolean };
  readonly nodeGroup: { readonly minSize: number };
}

/**
 * Production's Argo CD is reached through SSO only: the built-in admin (a shared password that never expires) is off
 * and an OIDC provider with admin groups is configured. Returns the problem, or undefined.
 */
export function productionArgoCdProblem(environment: Environment, settings: CheckedSettings): string | undefined {
  if (!environment.production) return undefined;
  if (settings.argocd.adminEnabled) {
    return 'argocd.adminEnabled must be false in production: people sign in through SSO (argocd.oidc)';
  }
  if (!settings.argocd.oidc || settings.argocd.oidc.adminGroups.length === 0) {
    return 'argocd.oidc with adminGroups is required in production: without SSO nobody could sign in to Argo CD';
  }
  return undefined;
}

/** Redis HA runs one Redis per node with hard anti-affinity: fewer than three nodes leave a replica unscheduled. */
export function argoCdHighAvailabilityProblem(settings: CheckedSettings): string | undefined {
  if (settings.argocdOperations.highAvailability && settings.nodeGroup.minSize < 3) {
    return (
      `argocdOperations.highAvailability needs nodeGroup.minSize of at least 3 (Redis HA puts one pod per node), ` +
      `got ${settings.nodeGroup.minSize}`
    );
  }
  return undefined;
}

/** Every rule of the baseline settings that a single field cannot express; empty when all hold. */
export function baselineProblems(environment: Environment, settings: CheckedSettings): string[] {
  return [productionArgoCdProblem(environment, settings), argoCdHighAvailabilityProblem(settings)].filter(
    (problem): problem is string => problem !== undefined,
  );
}
