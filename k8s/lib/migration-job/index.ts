export * from './migration-job-props.js';
export * from './migration-job.js';
