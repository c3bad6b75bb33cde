export * from './release-delivery.js';
export type * from './release-delivery-props.js';
