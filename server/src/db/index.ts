export { createPool, DatabaseProbe, poolStats, type Pool, type PoolConnection, type PoolStats } from './pool.js';
export type { ResultSetHeader, RowDataPacket } from './pool.js';
export {
  defaultMigrationsDirectory,
  migrate,
  readMigrations,
  type Migration,
  type MigrateOptions,
  type MigrateResult,
} from './migrate.js';
