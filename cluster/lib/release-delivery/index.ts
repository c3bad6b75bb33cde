export * from './release-delivery.js';
