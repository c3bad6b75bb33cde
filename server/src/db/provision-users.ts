/**
 * Creates the two least-privilege database users with the master credentials: the application user (DML on the
 * service's schema only) and the migration user (DDL on it). Idempotent: a second run sets the same passwords and
 * grants again. The SQL runs unchanged on MySQL 8 (RDS) and MariaDB 10.11.
 */
import mysql from 'mysql2/promise';
import type { DatabaseConfig } from '../config/index.js';
import { tlsOptions } from './tls.js';

/** What the application may do: read and write rows, never change the schema. */
export const APPLICATION_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] as const;
/** What migrations may do on the schema (and the rows of schema_migrations). */
export const MIGRATION_PRIVILEGES = [
  ...APPLICATION_PRIVILEGES,
  'CREATE',
  'DROP',
  'ALTER',
  'INDEX',
  'REFERENCES',
  'CREATE VIEW',
  'SHOW VIEW',
  'TRIGGER',
] as const;

export interface DatabaseUser {
  username: string;
  password: string;
}

export interface ProvisionRequest {
  /** Connection as the master user; `database` is the schema the users get. */
  master: DatabaseConfig;
  application: DatabaseUser;
  migrator: DatabaseUser;
  /** Host part of both accounts: `%` (any), or e.g. the VPC's address pattern `10.0.%`. */
  userHost: string;
  /** REQUIRE SSL on both accounts (whenever the master connection itself uses TLS). */
  requireTls: boolean;
}

export interface ProvisionResult {
  database: string;
  users: { username: string; host: string; privileges: readonly string[]; requireTls: boolean }[];
}

/**
 * Multi-user rotation in Secrets Manager clones the application user as `<name>_clone`, and MySQL 8 user names stop
 * at 32 characters: 26 leaves room for the suffix.
 */
const USERNAME = /^[A-Za-z][A-Za-z0-9_]{0,25}$/;
const HOST = /^[A-Za-z0-9.%_:-]{1,255}$/;
export const PASSWORD_MIN_LENGTH = 16;

/** Problems with the request, each naming the setting it came from; empty when it is valid. */
export function provisionProblems(request: ProvisionRequest): { variable: string; message: string }[] {
  const problems: { variable: string; message: string }[] = [];
  for (const [prefix, user] of [
    ['DB_APP', request.application],
    ['DB_MIGRATOR', request.migrator],
  ] as const) {
    if (!USERNAME.test(user.username)) {
      problems.push({
        variable: `${prefix}_USER`,
        message: 'must be 1-26 letters, digits or _, starting with a letter',
      });
    }
    if (user.password.length < PASSWORD_MIN_LENGTH) {
      problems.push({ variable: `${prefix}_PASSWORD`, message: `must be at least ${PASSWORD_MIN_LENGTH} characters` });
    }
  }
  const names = [request.master.user, request.application.username, request.migrator.username];
  if (new Set(names.map((name) => name.toLowerCase())).size !== names.length) {
    problems.push({ variable: 'DB_MIGRATOR_USER', message: 'the master, application and migration users must differ' });
  }
  if (!HOST.test(request.userHost))
    problems.push({ variable: 'DB_USERS_HOST', message: 'must be a MySQL host pattern' });
  return problems;
}

export async function provisionUsers(request: ProvisionRequest): Promise<ProvisionResult> {
  const { master, userHost, requireTls } = request;
  const connection = await mysql.createConnection({
    host: master.host,
    port: master.port,
    user: master.user,
    password: master.password,
    connectTimeout: master.connectTimeoutMs,
    ssl: tlsOptions(master),
    charset: 'UTF8MB4_UNICODE_CI',
  });
  // DB_NAME passed the config's pattern (letters, digits, underscore), so quoting it with backticks is safe.
  const schema = `\`${master.database}\``;
  const tlsClause = requireTls ? 'REQUIRE SSL' : 'REQUIRE NONE';
  try {
    await connection.query(`CREATE DATABASE IF NOT EXISTS ${schema} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    const users: ProvisionResult['users'] = [];
    for (const [user, privileges] of [
      [request.application, APPLICATION_PRIVILEGES],
      [request.migrator, MIGRATION_PRIVILEGES],
    ] as const) {
      // Account names and passwords go in as escaped string literals (these statements cannot be prepared).
      const account = [user.username, userHost];
      await connection.query(`CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ? ${tlsClause}`, [...account, user.password]);
      await connection.query(`ALTER USER ?@? IDENTIFIED BY ? ${tlsClause}`, [...account, user.password]);
      await connection.query(`GRANT ${privileges.join(', ')} ON ${schema}.* TO ?@?`, account);
      users.push({ username: user.username, host: userHost, privileges, requireTls });
    }
    return { database: master.database, users };
  } finally {
    await connection.end().catch(() => {
      connection.destroy();
    });
  }
}
