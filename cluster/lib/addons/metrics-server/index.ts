export * from './metrics-server.js';
