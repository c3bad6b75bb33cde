/** Versioned migrations: order, the record table, the lock between concurrent runners, edits after the fact. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDatabaseConfig } from '../src/config/index.js';
import { createPool, defaultMigrationsDirectory, migrate, readMigrations, type Pool } from '../src/db/index.js';
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
