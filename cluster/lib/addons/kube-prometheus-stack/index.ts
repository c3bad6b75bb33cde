export * from './kube-prometheus-stack.js';
export type * from './kube-prometheus-stack-props.js';
export * from './monitoring-storage.js';
