export * from './vpc-endpoints.js';
