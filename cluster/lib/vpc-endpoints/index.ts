export * from './vpc-endpoints.js';
export type * from './vpc-endpoints-props.js';
