export * from './helm-addon.js';
export type * from './helm-addon-props.js';
