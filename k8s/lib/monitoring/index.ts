export * from './props.js';
export * from './construct.js';
export * from './alerts.js';
export * from './metrics.js';
