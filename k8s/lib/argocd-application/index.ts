export * from './argocd-application-props.js';
export * from './argocd-application.js';
