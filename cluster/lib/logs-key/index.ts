export * from './logs-key.js';
export * from './log-group-defaults.js';
export type * from './logs-key-props.js';
