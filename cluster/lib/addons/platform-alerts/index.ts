export * from './platform-alerts.js';
export * from './rules.js';
export type * from './platform-alerts-props.js';
