export * from './cluster-baseline.js';
export type * from './cluster-baseline-props.js';
