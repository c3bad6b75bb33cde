export {
  AUTH_OPTIONAL_ENVIRONMENTS,
  BCRYPT_ROUNDS_MAX,
  BCRYPT_ROUNDS_MIN,
  BCRYPT_ROUNDS_MIN_PRODUCTION,
  ConfigError,
  JWT_SECRET_MIN_BYTES,
  loadConfig,
  loadDatabaseConfig,
  loadUserToolConfig,
  type AuthConfig,
  type Config,
  type DatabaseConfig,
  type LogLevel,
} from './config.js';
export { parseDurationSeconds } from './duration.js';
