export * from './kubernetes-cluster.js';
export type * from './kubernetes-cluster-props.js';
export * from './managed-addons.js';
