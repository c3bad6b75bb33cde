export * from './reloader.js';
export type * from './reloader-props.js';
