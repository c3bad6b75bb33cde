export * from './kubernetes-cluster.js';
