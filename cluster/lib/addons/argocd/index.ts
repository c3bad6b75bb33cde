export * from './argocd.js';
