export * from './alert-topic.js';
export * from './alertmanager-config.js';
export type * from './alerting-props.js';
