export * from './props.js';
export * from './metadata.js';
