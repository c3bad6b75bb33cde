export * from './props.js';
export * from './construct.js';
