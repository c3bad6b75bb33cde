export * from './valkey-cache.js';
