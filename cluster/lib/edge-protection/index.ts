export * from './edge-protection.js';
export * from './web-acl.js';
export type * from './edge-protection-props.js';
