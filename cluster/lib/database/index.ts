export * from './database.js';
export type * from './database-props.js';
