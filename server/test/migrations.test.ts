/** Versioned migrations: order, the record table, the lock between concurrent runners, edits after the fact. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDatabaseConfig } from '../src/config/index.js';
import {
  createPool,
  defaultMigrationsDirectory,
  migrate,
  readMigrations,
  type Pool,
  type RowDataPacket,
} from '../src/db/index.js';
import { startEmbeddedServer } from '../src/db/embedded-server.js';
import { splitSqlStatements } from '../src/db/sql-statements.js';
import { createEmptyDatabase, dropDatabase } from './support/database.js';

describe('migrations', () => {
  let name: string;
  let env: Record<string, string>;
  let pool: Pool;

  before(async () => {
    ({ name, env } = await createEmptyDatabase());
    pool = createPool(loadDatabaseConfig(env));
  });
  after(async () => {
    await pool.end();
    await dropDatabase(name);
  });

  it('are read in version order from server/migrations', () => {
    const migrations = readMigrations();
    assert.ok(migrations.length >= 1);
    assert.equal(migrations[0]?.file, '0001_users_and_throttle.sql');
    assert.deepEqual(
      migrations.map((migration) => migration.version),
      [...migrations.map((migration) => migration.version)].sort((a, b) => a - b),
    );
  });

  it('two concurrent runners apply each migration exactly once', async () => {
    const files = readMigrations().map((migration) => migration.file);
    // One runner through the app's pool, one through its own connection (as the migration Job does).
    const results = await Promise.all([migrate(pool), migrate(loadDatabaseConfig(env))]);
    const applied = results.flatMap((result) => result.applied);
    assert.deepEqual(applied, files);
    assert.ok(results.some((result) => result.applied.length === 0));
    const [rows] = await pool.query('SELECT version FROM schema_migrations ORDER BY version');
    assert.equal((rows as unknown[]).length, files.length);
    await pool.execute("INSERT INTO users (username, password_hash, role) VALUES ('x', ?, 'user')", ['h'.repeat(60)]);
  });

  it('the lock makes a second runner wait while the first is mid-way (not only when they happen not to overlap)', async () => {
    const other = await createEmptyDatabase();
    const directory = mkdtempSync(join(tmpdir(), 'migrations-'));
    try {
      writeFileSync(join(directory, '0001_pause.sql'), 'DO SLEEP(0.4);');
      writeFileSync(join(directory, '0002_table.sql'), 'CREATE TABLE once_only (id INT PRIMARY KEY);');
      const config = loadDatabaseConfig(other.env);
      const results = await Promise.all([migrate(config, { directory }), migrate(config, { directory })]);
      assert.deepEqual(results.map((result) => result.applied.length).sort(), [0, 2]);
    } finally {
      rmSync(directory, { recursive: true, force: true });
      await dropDatabase(other.name);
    }
  });

  it('a later run applies nothing', async () => {
    const result = await migrate(pool);
    assert.deepEqual(result.applied, []);
    assert.equal(result.alreadyApplied, readMigrations().length);
  });

  it('refuses to continue when an applied migration was edited', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'migrations-'));
    try {
      cpSync(defaultMigrationsDirectory(), directory, { recursive: true });
      appendFileSync(join(directory, '0001_users_and_throttle.sql'), '\n-- edited\n');
      await assert.rejects(migrate(pool, { directory }), /0001_users_and_throttle\.sql changed after it was applied/);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('a failing migration names its file, is not recorded, and leaves the lock free for the next run', async () => {
    const other = await createEmptyDatabase();
    const directory = mkdtempSync(join(tmpdir(), 'migrations-'));
    const otherPool = createPool(loadDatabaseConfig(other.env));
    try {
      writeFileSync(join(directory, '0001_good.sql'), 'CREATE TABLE good (id INT PRIMARY KEY);');
      writeFileSync(join(directory, '0002_bad.sql'), 'CREATE TABLE bad (id INT PRIMARY KEY);\nSELECT * FROM missing;');
      // Through a pool, as a server's own code would: its connection must not go back holding the lock.
      await assert.rejects(migrate(otherPool, { directory }), /0002_bad\.sql failed \(.*missing.*doesn't exist\)/);
      writeFileSync(join(directory, '0002_bad.sql'), 'CREATE TABLE IF NOT EXISTS bad (id INT PRIMARY KEY);');
      // lockTimeoutSeconds 0: fails at once if the lock were still held by the pool's connection.
      const retry = await migrate(loadDatabaseConfig(other.env), { directory, lockTimeoutSeconds: 0 });
      assert.deepEqual(retry, { applied: ['0002_bad.sql'], alreadyApplied: 1 });
    } finally {
      await otherPool.end();
      rmSync(directory, { recursive: true, force: true });
      await dropDatabase(other.name);
    }
  });

  it('refuses badly named files', () => {
    const directory = mkdtempSync(join(tmpdir(), 'migrations-'));
    try {
      writeFileSync(join(directory, '1_Users.sql'), 'SELECT 1;');
      assert.throws(() => readMigrations(directory), /does not match NNNN_description\.sql/);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('pool sessions', () => {
  it('run in UTC on a server whose own zone is not, so CURRENT_TIMESTAMP columns read back as the right instant', async () => {
    const baseDir = mkdtempSync(join(tmpdir(), 'tz-db-'));
    const server = await startEmbeddedServer({ baseDir, serverArgs: ['--default-time-zone=+05:00'] });
    try {
      const env = {
        DB_HOST: server.host,
        DB_PORT: String(server.port),
        DB_USER: server.user,
        DB_NAME: 'mysql',
        DB_TLS: 'off',
      };
      const pool = createPool(loadDatabaseConfig(env));
      try {
        const [[row]] = await pool.query<RowDataPacket[]>(
          'SELECT @@global.time_zone AS server, @@session.time_zone AS session, CURRENT_TIMESTAMP(3) AS now',
        );
        assert.deepEqual([row?.server, row?.session], ['+05:00', '+00:00']);
        // The driver reads DATETIME as UTC: right only because the session wrote UTC (else 5 hours off).
        assert.ok(Math.abs((row?.now as Date).getTime() - Date.now()) < 60_000, String(row?.now));
      } finally {
        await pool.end();
      }
    } finally {
      await server.stop();
      rmSync(baseDir, { recursive: true, force: true });
    }
  });
});

describe('splitSqlStatements', () => {
  it('splits at top-level semicolons only', () => {
    const sql = `-- a comment; with a semicolon
CREATE TABLE a (x VARCHAR(5) DEFAULT 'a;b'); /* block; comment */
INSERT INTO a VALUES ("it''s; fine"), ('\\';');
# hash comment;
CREATE TABLE \`b;c\` (y INT)`;
    assert.deepEqual(splitSqlStatements(sql), [
      "CREATE TABLE a (x VARCHAR(5) DEFAULT 'a;b')",
      `INSERT INTO a VALUES ("it''s; fine"), ('\\';')`,
      'CREATE TABLE `b;c` (y INT)',
    ]);
  });

  it('refuses an unterminated string', () => {
    assert.throws(() => splitSqlStatements("SELECT 'oops;"), /unterminated/);
  });
});
