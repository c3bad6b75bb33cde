import { service } from '../../platform/service.js';
import type { Environment } from '../../platform/environments.js';

/** The recommended `app.kubernetes.io/*` labels, so `kubectl get all -l app.kubernetes.io/instance=...` finds everything. */
export const labelKeys = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  version: 'app.kubernetes.io/version',
  component: 'app.kubernetes.io/component',
  partOf: 'app.kubernetes.io/part-of',
  managedBy: 'app.kubernetes.io/managed-by',
} as const;

export type Labels = Record<string, string>;

/** One release of the service in one environment: `desktop-backend-staging`. */
export function instanceName(env: Environment): string {
  return `${service.name}-${env.name}`;
}

/**
 * Labels every object of an environment carries (Chart-wide). Not the version: it goes only where it says what runs
 * (the Rollout, the migration Job and their pods), so an image bump changes those few lines and nothing else.
 */
export function commonLabels(env: Environment): Labels {
  return {
    [labelKeys.name]: service.name,
    [labelKeys.instance]: instanceName(env),
    [labelKeys.partOf]: service.partOf,
    [labelKeys.managedBy]: 'cdk8s',
  };
}

/**
 * Labels that select the pods of one component. Never the version: selectors are immutable and must match the pods
 * of every release.
 */
export function selectorLabels(env: Environment, component: string): Labels {
  return {
    [labelKeys.name]: service.name,
    [labelKeys.instance]: instanceName(env),
    [labelKeys.component]: component,
  };
}

export const components = {
  server: 'server',
  migration: 'migration',
  databaseUsers: 'database-users',
  secrets: 'secrets',
  monitoring: 'monitoring',
  delivery: 'delivery',
} as const;
