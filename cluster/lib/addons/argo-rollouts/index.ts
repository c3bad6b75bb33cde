export * from './argo-rollouts.js';
export type * from './argo-rollouts-props.js';
