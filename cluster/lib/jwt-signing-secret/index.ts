export * from './jwt-signing-secret.js';
