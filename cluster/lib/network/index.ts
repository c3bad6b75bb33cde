export * from './network.js';
export type * from './network-props.js';
