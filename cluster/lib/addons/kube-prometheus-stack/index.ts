export * from './kube-prometheus-stack.js';
