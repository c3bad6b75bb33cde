export * from './alb-ingress-props.js';
export * from './alb-ingress.js';
