export * from './argocd.js';
export * from './argocd-operations.js';
