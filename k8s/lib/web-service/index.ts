export * from './web-service-props.js';
export * from './web-service.js';
