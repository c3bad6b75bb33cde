import type { Environment } from '../../platform/environments.js';

/** The Argo CD settings a production environment must have (a subset of the cluster settings). */
interface ArgoCdAccess {
  readonly argocd: { readonly adminEnabled: boolean; readonly oidc?: { readonly adminGroups: readonly string[] } };
}

/**
 * Production's Argo CD is reached through SSO only: the built-in admin (a shared password that never expires) is off
 * and an OIDC provider with admin groups is configured. Returns the problem, or undefined.
 */
export function productionArgoCdProblem(environment: Environment, settings: ArgoCdAccess): string | undefined {
  if (!environment.production) return undefined;
  if (settings.argocd.adminEnabled) {
    return 'argocd.adminEnabled must be false in production: people sign in through SSO (argocd.oidc)';
  }
  if (!settings.argocd.oidc || settings.argocd.oidc.adminGroups.length === 0) {
    return 'argocd.oidc with adminGroups is required in production: without SSO nobody could sign in to Argo CD';
  }
  return undefined;
}
