export * from './network-policies-props.js';
export * from './network-policies.js';
