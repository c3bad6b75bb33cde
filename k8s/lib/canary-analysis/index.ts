export * from './canary-analysis-props.js';
export * from './canary-analysis.js';
