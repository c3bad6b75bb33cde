export * from './platform-alerts.js';
export * from './rules.js';
