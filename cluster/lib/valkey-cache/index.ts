export * from './valkey-cache.js';
export type * from './valkey-cache-props.js';
