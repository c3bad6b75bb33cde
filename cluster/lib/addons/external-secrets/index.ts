export * from './external-secrets.js';
export type * from './external-secrets-props.js';
