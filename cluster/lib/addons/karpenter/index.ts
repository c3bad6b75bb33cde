export * from './karpenter.js';
export * from './node-pool.js';
export * from './controller-policy.js';
export type * from './karpenter-props.js';
