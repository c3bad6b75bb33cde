/** `npm start`: configured by environment variables only; exits 1 with the bad variables named. */
import { createBackend } from './app.js';
import { ConfigError, loadConfig } from './config/index.js';
import { desktopChannel } from './desktop/index.js';
import { exitOnSignals } from './lifecycle/index.js';
import { createLogger } from './log/index.js';

try {
  const config = loadConfig(process.env);
  const logger = createLogger({ level: config.logLevel });
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason }, 'unhandled promise rejection');
  });
  const backend = await createBackend(config, { channels: [desktopChannel], logger });
  exitOnSignals(backend, { forceMs: config.shutdown.forceMs, logger });
  await backend.listen();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    console.error('Failed to start:', error);
  }
  process.exit(1);
}
