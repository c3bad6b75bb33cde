import { App } from 'aws-cdk-lib';
import { ClusterConfigError } from '../config/schema.js';
import { buildApp } from '../lib/app.js';

const app = new App();
try {
  buildApp(app);
} catch (error) {
  if (!(error instanceof ClusterConfigError)) throw error;
  // A configuration mistake: the message says which value and why; a stack trace would only bury it.
  console.error(error.message);
  process.exit(1);
}
