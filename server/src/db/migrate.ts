import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql, { type Connection, type Pool, type RowDataPacket } from 'mysql2/promise';
import type { Logger } from 'pino';
import type { DatabaseConfig } from '../config/index.js';
import { splitSqlStatements } from './sql-statements.js';
import { tlsOptions } from './tls.js';

export interface Migration {
  version: number;
  name: string;
  file: string;
  sql: string;
  checksum: string;
}

export interface MigrateOptions {
  /** Folder of NNNN_description.sql files; defaults to server/migrations. */
  directory?: string;
  logger?: Pick<Logger, 'info'>;
  /** How long to wait for another runner's lock before failing. */
  lockTimeoutSeconds?: number;
}

export interface MigrateResult {
  /** File names applied by this run, in order. */
  applied: string[];
  /** How many were already recorded before this run. */
  alreadyApplied: number;
}

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/**
 * server/migrations, found from this module's location: server/src/db (tsx), dist/server/src/db (compiled, also
 * /app/dist/... in the image, which holds /app/server/migrations next to /app/dist).
 */
export function defaultMigrationsDirectory(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [resolve(here, '../../migrations'), resolve(here, '../../../../server/migrations')];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) throw new Error(`no migrations folder found; looked in ${candidates.join(', ')}`);
  return found;
}

export function readMigrations(directory = defaultMigrationsDirectory()): Migration[] {
  const migrations = readdirSync(directory)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => {
      const match = FILE_NAME.exec(file);
      if (!match?.[1] || !match[2]) {
        throw new Error(`migration file name ${file} does not match NNNN_description.sql (lower case)`);
      }
      const sql = readFileSync(join(directory, file), 'utf8');
      const checksum = createHash('sha256').update(sql).digest('hex');
      return { version: Number(match[1]), name: match[2], file, sql, checksum };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((migration, index) => {
    if (index > 0 && migrations[index - 1]?.version === migration.version) {
      throw new Error(`two migrations share version ${migration.version}`);
    }
  });
  return migrations;
}

interface AppliedRow extends RowDataPacket {
  version: number;
  name: string;
  checksum: string;
}

async function applyPending(connection: Connection, migrations: Migration[], options: MigrateOptions) {
  await connection.query(
    `CREATE TABLE IF NOT EXISTS schema_migrations (
       version INT UNSIGNED NOT NULL PRIMARY KEY,
       name VARCHAR(255) NOT NULL,
       checksum CHAR(64) NOT NULL,
       applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
     ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
  );
  const [rows] = await connection.execute<AppliedRow[]>('SELECT version, name, checksum FROM schema_migrations');
  const applied = new Map(rows.map((row) => [row.version, row]));
  for (const migration of migrations) {
    const recorded = applied.get(migration.version);
    if (recorded && recorded.checksum !== migration.checksum) {
      throw new Error(
        `migration ${migration.file} changed after it was applied (checksum differs); add a new migration instead`,
      );
    }
  }
  const result: MigrateResult = { applied: [], alreadyApplied: applied.size };
  for (const migration of migrations.filter((candidate) => !applied.has(candidate.version))) {
    // DDL commits implicitly in MySQL, so a migration is recorded once all its statements ran.
    for (const statement of splitStatements(migration)) {
      try {
        await connection.query(statement);
      } catch (error) {
        throw new Error(
          `${migration.file} failed (${errorMessage(error)}); it is not recorded, and statements before the failing ` +
            'one may have been applied already (MySQL commits DDL at once): fix the database or the file, then run again',
          { cause: error },
        );
      }
    }
    await connection.execute('INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)', [
      migration.version,
      migration.name,
      migration.checksum,
    ]);
    options.logger?.info({ migration: migration.file }, `Applied migration ${migration.file}`);
    result.applied.push(migration.file);
  }
  return result;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function splitStatements(migration: Migration): string[] {
  try {
    return splitSqlStatements(migration.sql);
  } catch (error) {
    throw new Error(`${migration.file}: ${String(error)}`, { cause: error });
  }
}

/**
 * Applies pending migrations in version order, recording each in `schema_migrations`. A named lock (GET_LOCK, per
 * database) makes concurrent runners wait for each other, so each migration runs exactly once.
 */
export async function migrate(target: Pool | DatabaseConfig, options: MigrateOptions = {}): Promise<MigrateResult> {
  const migrations = readMigrations(options.directory);
  if ('getConnection' in target) {
    const connection = await target.getConnection();
    let healthy = false;
    try {
      const result = await migrateLocked(connection, migrations, options);
      healthy = true;
      return result;
    } finally {
      // After a failure the connection may still hold the lock or a half-done session state: never reuse it.
      if (healthy) connection.release();
      else connection.destroy();
    }
  }
  const connection = await mysql.createConnection({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.database,
    connectTimeout: target.connectTimeoutMs,
    ssl: tlsOptions(target),
    charset: 'UTF8MB4_UNICODE_CI',
    timezone: 'Z',
  });
  try {
    return await migrateLocked(connection, migrations, options);
  } finally {
    // A broken connection cannot end politely; its failure must not hide the migration's own error.
    await connection.end().catch(() => {
      connection.destroy();
    });
  }
}

async function migrateLocked(connection: Connection, migrations: Migration[], options: MigrateOptions) {
  const [[database]] = await connection.query<RowDataPacket[]>('SELECT DATABASE() AS name');
  // GET_LOCK is server-wide: name it after the database so runners on other databases do not wait.
  const lockName = `schema_migrations:${String(database?.name)}`.slice(0, 64);
  const [[lock]] = await connection.execute<RowDataPacket[]>('SELECT GET_LOCK(?, ?) AS acquired', [
    lockName,
    options.lockTimeoutSeconds ?? 60,
  ]);
  if (Number(lock?.acquired) !== 1) throw new Error(`could not acquire the migration lock ${lockName}`);
  let result: MigrateResult;
  try {
    result = await applyPending(connection, migrations, options);
  } catch (error) {
    // Release the lock but report the migration's own failure, not a failed release (the lock also ends with the
    // connection, which the caller closes).
    await connection.execute('SELECT RELEASE_LOCK(?)', [lockName]).catch(() => undefined);
    throw error;
  }
  await connection.execute('SELECT RELEASE_LOCK(?)', [lockName]);
  return result;
}
