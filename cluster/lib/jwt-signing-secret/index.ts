export * from './jwt-signing-secret.js';
export type * from './jwt-signing-secret-props.js';
