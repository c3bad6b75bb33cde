export * from './external-secret-props.js';
export * from './external-secret.js';
export * from './secret-entries.js';
