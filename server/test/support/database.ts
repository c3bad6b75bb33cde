/**
 * A fresh database per caller on the test run's MySQL-compatible server (TEST_DB_*, see test/global-setup.ts), with
 * every migration applied. No server → the test fails with a message saying how to provide one (never skips).
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { loadDatabaseConfig } from '../../src/config/index.js';
import { createPool, migrate, type Pool } from '../../src/db/index.js';

export interface TestDatabase {
  name: string;
  /** DB_* variables for loadConfig / spawned servers. */
  env: Record<string, string>;
  pool: Pool;
  drop(): Promise<void>;
}

export function testServerEnv(): { host: string; port: string; user: string; password: string } {
  if (process.env.TEST_DB_UNAVAILABLE) throw new Error(process.env.TEST_DB_UNAVAILABLE);
  const host = process.env.TEST_DB_HOST;
  if (!host) {
    throw new Error(
      'TEST_DB_HOST is not set: run the tests with --test-global-setup=test/global-setup.ts (as `npm test` does), ' +
        'which starts a private MariaDB, or set TEST_DB_HOST, TEST_DB_PORT, TEST_DB_USER and TEST_DB_PASSWORD.',
    );
  }
  return {
    host,
    port: process.env.TEST_DB_PORT ?? '3306',
    user: process.env.TEST_DB_USER ?? 'root',
    password: process.env.TEST_DB_PASSWORD ?? '',
  };
}

/** Runs one statement on the test server, outside any database. */
async function onServer(sql: string): Promise<void> {
  const server = testServerEnv();
  const admin = await mysql.createConnection({
    host: server.host,
    port: Number(server.port),
    user: server.user,
    password: server.password,
  });
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** Creates an empty database (no migrations) and returns its DB_* variables. */
export async function createEmptyDatabase(): Promise<{ name: string; env: Record<string, string> }> {
  const server = testServerEnv();
  const name = `test_${randomBytes(6).toString('hex')}`;
  await onServer(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  return {
    name,
    env: {
      DB_HOST: server.host,
      DB_PORT: server.port,
      DB_USER: server.user,
      DB_PASSWORD: server.password,
      DB_NAME: name,
      // The test server is a plaintext MariaDB on loopback (server/test/db-tls.test.ts covers TLS).
      DB_TLS: 'off',
    },
  };
}

export async function dropDatabase(name: string): Promise<void> {
  await onServer(`DROP DATABASE IF EXISTS \`${name}\``);
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const { name, env } = await createEmptyDatabase();
  const pool = createPool({ ...loadDatabaseConfig(env), poolSize: 5 });
  await migrate(pool);
  let dropped = false;
  return {
    name,
    env,
    pool,
    async drop() {
      if (dropped) return;
      dropped = true;
      await pool.end();
      await dropDatabase(name);
    },
  };
}
