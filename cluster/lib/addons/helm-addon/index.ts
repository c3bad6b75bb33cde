export * from './helm-addon.js';
