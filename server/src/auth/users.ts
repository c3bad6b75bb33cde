import { EventEmitter } from 'node:events';
import bcrypt from 'bcryptjs';
import { z } from 'zod';
import type { Pool, ResultSetHeader, RowDataPacket } from '../db/index.js';
import { HttpError } from '../http/errors.js';
import { inlinePasswordHasher, type PasswordHasher } from './password-pool.js';
import { ROLES, type AuthUser, type Role } from './tokens.js';
import { UserCache } from './user-cache.js';

/** bcrypt reads at most 72 bytes of input; longer passwords are refused rather than silently truncated. */
const PASSWORD_MAX_BYTES = 72;
const PASSWORD_MIN_LENGTH = 8;

export interface User extends AuthUser {
  disabled: boolean;
  createdAt: Date;
  /**
   * The last change to the account (disabled, enabled, new password). Tokens issued before it are refused, so
   * re-enabling an account does not bring back the tokens it had when it was disabled.
   */
  updatedAt: Date;
  /** One more at every account change (disable, enable, new password); tokens carry the version they were issued at. */
  tokenVersion: number;
}

export interface UserRepositoryOptions {
  bcryptRounds: number;
  /** Where bcrypt runs; the default is this thread (CLIs, tests). Servers pass a PasswordWorkerPool. */
  passwords?: PasswordHasher;
  /** How long `findForAuth` may answer from memory (0: always ask MySQL). */
  authCacheTtlMs?: number;
  authCacheMaxEntries?: number;
}

/** Every account change, on this replica; `disabled` tells whether the account is now disabled. */
export type UserChange = { userId: number; disabled: boolean };

const usernameSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9._-]{2,63}$/, 'must be 3-64 characters: letters, digits, dot, dash, underscore');

const newPasswordSchema = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `must be at least ${PASSWORD_MIN_LENGTH} characters`)
  .refine(
    (password) => Buffer.byteLength(password, 'utf8') <= PASSWORD_MAX_BYTES,
    `must be at most ${PASSWORD_MAX_BYTES} bytes (UTF-8)`,
  );

export const roleSchema = z.enum(ROLES as [Role, ...Role[]], { error: 'must be user or admin' });

interface UserRow extends RowDataPacket {
  id: number;
  username: string;
  role: Role;
  disabled_at: Date | null;
  created_at: Date;
  updated_at: Date;
  token_version: number;
  password_hash: string;
}

const USER_COLUMNS = 'id, username, role, disabled_at, created_at, updated_at, token_version';

/**
 * The `users.username` column is ASCII (every stored name passed `usernameSchema`). A name with any other character
 * (Cyrillic, full-width, zero-width, U+FFFD from invalid UTF-8...) can match no row, and comparing it with the column
 * makes MySQL fail with "Illegal mix of collations": such a name is a miss without a query.
 */
function storableUsername(username: string): string | undefined {
  const normalised = username.trim().toLowerCase();
  return /^[\x21-\x7e]{1,64}$/.test(normalised) ? normalised : undefined;
}

function toUser(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    role: row.role,
    disabled: row.disabled_at !== null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    tokenVersion: row.token_version,
  };
}

/** Users and their bcrypt hashes in MySQL. */
export class UserRepository {
  readonly #pool: Pool;
  readonly #bcryptRounds: number;
  readonly #passwords: PasswordHasher;
  readonly #authCache: UserCache<User | undefined>;
  readonly #events = new EventEmitter<{ disabled: [userId: number]; changed: [change: UserChange] }>();
  #dummyHash: Promise<string> | undefined;

  constructor(pool: Pool, options: UserRepositoryOptions) {
    this.#pool = pool;
    this.#bcryptRounds = options.bcryptRounds;
    this.#passwords = options.passwords ?? inlinePasswordHasher;
    this.#authCache = new UserCache((id) => this.findById(id), {
      ttlMs: options.authCacheTtlMs ?? 0,
      maxEntries: options.authCacheMaxEntries ?? 10_000,
    });
  }

  /**
   * The user as token checks see it: from this replica's cache when fresh (see UserCache for the bound), else MySQL.
   * Account changes made through this repository are seen at once.
   */
  findForAuth(id: number): Promise<User | undefined> {
    return this.#authCache.get(id);
  }

  /** Drops a cached user after a change made on another replica (told through the change feed). */
  forget(id: number): void {
    this.#authCache.invalidate(id);
  }

  /** Several users at once (one query); the ones that do not exist are missing from the answer. */
  async findManyById(ids: readonly number[]): Promise<User[]> {
    if (ids.length === 0) return [];
    // query, not execute: a prepared statement per list length would pile up toward max_prepared_stmt_count.
    const [rows] = await this.#pool.query<UserRow[]>(`SELECT ${USER_COLUMNS} FROM users WHERE id IN (?)`, [ids]);
    return rows.map(toUser);
  }

  async findById(id: number): Promise<User | undefined> {
    const [rows] = await this.#pool.execute<UserRow[]>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`, [id]);
    return rows[0] ? toUser(rows[0]) : undefined;
  }

  async findByUsername(username: string): Promise<User | undefined> {
    const name = storableUsername(username);
    if (name === undefined) return undefined;
    const [rows] = await this.#pool.execute<UserRow[]>(`SELECT ${USER_COLUMNS} FROM users WHERE username = ?`, [name]);
    return rows[0] ? toUser(rows[0]) : undefined;
  }

  async list(): Promise<User[]> {
    const [rows] = await this.#pool.execute<UserRow[]>(`SELECT ${USER_COLUMNS} FROM users ORDER BY id`);
    return rows.map(toUser);
  }

  /** The oldest enabled admin: the identity of token-less requests when AUTH_REQUIRED=false. */
  async firstEnabledAdmin(): Promise<User | undefined> {
    const [rows] = await this.#pool.execute<UserRow[]>(
      `SELECT ${USER_COLUMNS} FROM users WHERE role = 'admin' AND disabled_at IS NULL ORDER BY id LIMIT 1`,
    );
    return rows[0] ? toUser(rows[0]) : undefined;
  }

  /** Validates and stores a new user; 400 for a bad username/password/role, 409 when the name is taken. */
  async create(input: { username: string; password: string; role: Role | (string & {}) }): Promise<User> {
    const username = usernameSchema.safeParse(input.username);
    const password = newPasswordSchema.safeParse(input.password);
    const role = roleSchema.safeParse(input.role);
    const problems = [
      ...(username.success ? [] : username.error.issues.map((issue) => `username: ${issue.message}`)),
      ...(password.success ? [] : password.error.issues.map((issue) => `password: ${issue.message}`)),
      ...(role.success ? [] : role.error.issues.map((issue) => `role: ${issue.message}`)),
    ];
    if (!username.success || !password.success || !role.success) {
      throw new HttpError(400, 'invalid_request', problems.join('; '));
    }
    const hash = await this.#passwords.hash(password.data, this.#bcryptRounds);
    try {
      const [result] = await this.#pool.execute<ResultSetHeader>(
        'INSERT INTO users (username, password_hash, role) VALUES (?, ?, ?)',
        [username.data, hash, role.data],
      );
      const created = await this.findById(result.insertId);
      if (!created) throw new Error('user vanished after insert');
      return created;
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ER_DUP_ENTRY') {
        throw new HttpError(409, 'username_taken', `The username ${username.data} is taken`, { cause: error });
      }
      throw error;
    }
  }

  /** Sets a new password (same rules as at creation: 400 naming the problem); false when no such user. */
  async setPassword(id: number, password: string): Promise<boolean> {
    const parsed = newPasswordSchema.safeParse(password);
    if (!parsed.success) {
      throw new HttpError(
        400,
        'invalid_request',
        parsed.error.issues.map((issue) => `password: ${issue.message}`).join('; '),
      );
    }
    const hash = await this.#passwords.hash(parsed.data, this.#bcryptRounds);
    const [result] = await this.#pool.execute<ResultSetHeader>(
      'UPDATE users SET password_hash = ?, token_version = token_version + 1 WHERE id = ?',
      [hash, id],
    );
    if (result.affectedRows !== 1) return false;
    const user = await this.findById(id);
    this.#changed({ userId: id, disabled: user?.disabled ?? true });
    return true;
  }

  /**
   * Disables or re-enables a user; undefined when no such user. A real change moves the token version on, so every
   * token issued before it is refused exactly (even one issued in the same second). Disabling notifies `onDisabled`.
   */
  async setDisabled(id: number, disabled: boolean): Promise<User | undefined> {
    const [result] = await this.#pool.execute<ResultSetHeader>(
      disabled
        ? `UPDATE users SET disabled_at = CURRENT_TIMESTAMP(3), token_version = token_version + 1
           WHERE id = ? AND disabled_at IS NULL`
        : `UPDATE users SET disabled_at = NULL, token_version = token_version + 1
           WHERE id = ? AND disabled_at IS NOT NULL`,
      [id],
    );
    const user = await this.findById(id);
    if (user && result.affectedRows === 1) this.#changed({ userId: id, disabled: user.disabled });
    return user;
  }

  /** Called in this process when a user is disabled (here, or elsewhere when a feed tells). Returns unsubscribe. */
  onDisabled(listener: (userId: number) => void): () => void {
    this.#events.on('disabled', listener);
    return () => this.#events.off('disabled', listener);
  }

  /** Called for every account change made through this repository (a feed passes them to other replicas). */
  onChanged(listener: (change: UserChange) => void): () => void {
    this.#events.on('changed', listener);
    return () => this.#events.off('changed', listener);
  }

  /** A change made on another replica: forget the cached user, and close its sockets here when it is disabled. */
  changedElsewhere(change: UserChange): void {
    this.#authCache.invalidate(change.userId);
    if (change.disabled) this.#events.emit('disabled', change.userId);
  }

  #changed(change: UserChange): void {
    this.#authCache.invalidate(change.userId);
    this.#events.emit('changed', change);
    if (change.disabled) this.#events.emit('disabled', change.userId);
  }

  /**
   * The enabled user whose password matches, else undefined. Unknown users, disabled users and over-long passwords
   * cost one bcrypt comparison too (against a dummy hash), so timing does not reveal which usernames exist.
   */
  async verifyCredentials(username: string, password: string): Promise<User | undefined> {
    // Awaited on every path, so the one-off cost of making the dummy hash never marks the first unknown username.
    const dummy = await this.#dummy();
    const name = storableUsername(username);
    // Same work either way: a name that cannot exist still costs the (cheap) round trip and the bcrypt comparison.
    const [rows] = await this.#pool.execute<UserRow[]>(
      `SELECT ${USER_COLUMNS}, password_hash FROM users WHERE username = ?`,
      [name ?? ''],
    );
    const row = name === undefined ? undefined : rows[0];
    const tooLong = Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES;
    const hash = row && !tooLong ? row.password_hash : dummy;
    const matches = await this.#passwords.compare(password, hash);
    if (!row || tooLong || !matches || row.disabled_at !== null) return undefined;
    if (bcrypt.getRounds(row.password_hash) !== this.#bcryptRounds) await this.#rehash(row.id, password);
    return toUser(row);
  }

  /**
   * Re-hashes a password at the configured cost after BCRYPT_ROUNDS changed, so stored hashes cost what the dummy
   * hash costs (an existing user's check would otherwise take visibly less or more time than an unknown one's).
   * `updated_at` is kept: this is not an account change, the user's tokens stay valid.
   */
  async #rehash(id: number, password: string): Promise<void> {
    const hash = await this.#passwords.hash(password, this.#bcryptRounds);
    await this.#pool.execute('UPDATE users SET password_hash = ?, updated_at = updated_at WHERE id = ?', [hash, id]);
  }

  /** Makes the dummy hash ahead of the first login (a server calls this before it listens). */
  async warmUp(): Promise<void> {
    await this.#dummy();
  }

  #dummy(): Promise<string> {
    this.#dummyHash ??= this.#passwords.hash(`dummy-${String(Math.random())}`, this.#bcryptRounds);
    return this.#dummyHash;
  }
}
