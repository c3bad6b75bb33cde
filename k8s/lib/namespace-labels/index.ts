export * from './namespace-labels-props.js';
export * from './namespace-labels.js';
