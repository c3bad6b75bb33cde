export * from './aws-load-balancer-controller.js';
