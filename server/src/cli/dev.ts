/**
 * `npm run dev`: the server on this machine with no setup. Without DB_HOST it starts a private MariaDB/MySQL from the
 * installed binaries with its data in .dev/ (git-ignored), migrates it, makes sure a dev admin exists, and prints how
 * to log in. Everything it generates (JWT secret, admin password) is kept in .dev/ so tokens survive restarts.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { createBackend } from '../app.js';
import { UserRepository } from '../auth/index.js';
import { ConfigError, loadConfig, type Config } from '../config/index.js';
import { startEmbeddedServer, type EmbeddedServer } from '../db/embedded-server.js';
import { createPool, migrate } from '../db/index.js';
import { desktopChannel } from '../desktop/index.js';
import { HttpError } from '../http/index.js';
import { exitOnSignals } from '../lifecycle/index.js';
import { createLogger } from '../log/index.js';

const DEV_ADMIN = 'admin';
// DEV_DIR lets tests keep their state out of the work tree.
const devDir = resolve(process.env.DEV_DIR ?? join(dirname(fileURLToPath(import.meta.url)), '../../../.dev'));

/** A value kept in .dev/<name>, generated on first use. */
function devSecret(name: string): string {
  const path = join(devDir, name);
  if (!existsSync(path)) writeFileSync(path, randomBytes(24).toString('base64url'), { mode: 0o600 });
  return readFileSync(path, 'utf8').trim();
}

async function ensureDatabase(server: EmbeddedServer, database: string): Promise<void> {
  const connection = await mysql.createConnection({
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
  });
  try {
    await connection.query(
      `CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
  } finally {
    await connection.end();
  }
}

/** A word the shell passes through unchanged, whatever it holds. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The dev admin exists, is enabled and has the password printed below (reset when .dev/ was cleared). */
async function ensureDevAdmin(config: Config, password: string): Promise<void> {
  const pool = createPool(config.db);
  try {
    const users = new UserRepository(pool, { bcryptRounds: config.auth.bcryptRounds });
    const existing = await users.findByUsername(DEV_ADMIN);
    if (!existing) {
      await users.create({ username: DEV_ADMIN, password, role: 'admin' });
      return;
    }
    if (existing.disabled) await users.setDisabled(existing.id, false);
    if (!(await users.verifyCredentials(DEV_ADMIN, password))) await users.setPassword(existing.id, password);
  } finally {
    await pool.end();
  }
}

async function main(): Promise<void> {
  mkdirSync(devDir, { recursive: true });
  const env: NodeJS.ProcessEnv = { NODE_ENV: 'development', ...process.env };
  if (!env.JWT_SECRET) env.JWT_SECRET = devSecret('jwt-secret') + devSecret('jwt-secret');
  let embedded: EmbeddedServer | undefined;
  try {
    if (!env.DB_HOST) {
      embedded = await startEmbeddedServer({ baseDir: join(devDir, 'mariadb') });
      Object.assign(env, {
        DB_HOST: embedded.host,
        DB_PORT: String(embedded.port),
        DB_USER: embedded.user,
        DB_PASSWORD: embedded.password,
        // The private MariaDB on loopback speaks plaintext; a DB_HOST of your own keeps DB_TLS's default (verify).
        DB_TLS: 'off',
      });
    }
    await start(env, embedded);
  } catch (error) {
    // A private MariaDB left running would hold .dev/mariadb and make the next `npm run dev` fail.
    await embedded?.stop();
    throw error;
  }
}

async function start(env: NodeJS.ProcessEnv, embedded: EmbeddedServer | undefined): Promise<void> {
  const config = loadConfig(env);
  const logger = createLogger({ level: config.logLevel });
  if (embedded) {
    await ensureDatabase(embedded, config.db.database);
    logger.info(`Embedded MariaDB on ${embedded.host}:${embedded.port}, data in ${join(devDir, 'mariadb')}`);
  }
  await migrate(config.db, { logger });

  const adminPassword = env.DEV_ADMIN_PASSWORD || devSecret('admin-password');
  await ensureDevAdmin(config, adminPassword);

  const backend = await createBackend(config, { channels: [desktopChannel], logger });
  exitOnSignals(backend, {
    forceMs: config.shutdown.forceMs,
    logger,
    afterShutdown: async () => {
      await embedded?.stop();
    },
  });
  const { port, metricsPort } = await backend.listen();
  const base = `http://127.0.0.1:${port}`;
  console.log(`
Dev server ready.
  Log in (admin "${DEV_ADMIN}", password ${env.DEV_ADMIN_PASSWORD ? 'from DEV_ADMIN_PASSWORD' : 'kept in .dev/admin-password'}):
    TOKEN=$(curl -s ${base}/api/login -H 'content-type: application/json' \\
      -d ${shellQuote(JSON.stringify({ username: DEV_ADMIN, password: adminPassword }))} | node -pe 'JSON.parse(require("fs").readFileSync(0)).token')
    curl -s ${base}/api/me -H "authorization: Bearer $TOKEN"
  Health and readiness:  curl -i ${base}/health   curl -i ${base}/ready
  Metrics:               curl -s http://127.0.0.1:${metricsPort}/metrics
  Stop with Ctrl-C.
`);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError || error instanceof HttpError ? error.message : error);
  process.exit(1);
});
