export {
  ConfigError,
  loadConfig,
  loadDatabaseConfig,
  loadUserToolConfig,
  type AuthConfig,
  type Config,
  type DatabaseConfig,
  type LogLevel,
} from './config.js';
export { parseDurationSeconds } from './duration.js';
