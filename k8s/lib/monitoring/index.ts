export * from './monitoring-props.js';
export * from './monitoring.js';
export * from './alerts.js';
export * from './metrics.js';
