export * from './network-policy-props.js';
export * from './network-policies.js';
