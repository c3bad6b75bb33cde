export { createPool, DatabaseProbe, poolStats, type Pool } from './pool.js';
export type { ResultSetHeader, RowDataPacket } from './pool.js';
export { defaultMigrationsDirectory, migrate, readMigrations } from './migrate.js';
export { registerDatabaseMetrics, type DatabaseMetrics } from './failures.js';
