export * from './key-grants.js';
