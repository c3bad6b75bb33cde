export * from './argo-rollouts.js';
