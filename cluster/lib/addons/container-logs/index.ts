export * from './container-logs.js';
export type * from './container-logs-props.js';
