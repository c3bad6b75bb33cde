export * from './aws-load-balancer-controller.js';
export type * from './aws-load-balancer-controller-props.js';
