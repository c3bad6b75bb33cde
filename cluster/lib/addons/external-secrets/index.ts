export * from './external-secrets.js';
