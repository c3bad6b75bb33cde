/** `npm run migrate`: applies pending migrations to the database named by DB_* (run by the Kubernetes Job). */
import { ConfigError, loadDatabaseConfig } from '../config/index.js';
import { migrate } from '../db/index.js';
import { createLogger } from '../log/index.js';

const logger = createLogger({ level: 'info' });
try {
  const config = loadDatabaseConfig(process.env);
  const result = await migrate(config, { logger });
  logger.info(
    { applied: result.applied, alreadyApplied: result.alreadyApplied },
    `Migrations done: ${result.applied.length} applied, ${result.alreadyApplied} already applied`,
  );
} catch (error) {
  if (error instanceof ConfigError) console.error(error.message);
  else logger.error({ err: error }, 'Migration failed');
  process.exit(1);
}
