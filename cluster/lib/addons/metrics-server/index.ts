export * from './metrics-server.js';
export type * from './metrics-server-props.js';
