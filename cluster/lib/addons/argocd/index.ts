export * from './argocd.js';
export * from './argocd-operations.js';
export type * from './argocd-props.js';
