import { EventEmitter } from 'node:events';
import bcrypt from 'bcryptjs';
import { z } from 'zod';
import type { Pool, ResultSetHeader, RowDataPacket } from '../db/index.js';
import { HttpError } from '../http/errors.js';
import { ROLES, type AuthUser, type Role } from './tokens.js';

/** bcrypt reads at most 72 bytes of input; longer passwords are refused rather than silently truncated. */
export const PASSWORD_MAX_BYTES = 72;
export const PASSWORD_MIN_LENGTH = 8;

export interface User extends AuthUser {
  disabled: boolean;
  createdAt: Date;
}

export const usernameSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9._-]{2,63}$/, 'must be 3-64 characters: letters, digits, dot, dash, underscore');

export const newPasswordSchema = z
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
  password_hash: string;
}

const USER_COLUMNS = 'id, username, role, disabled_at, created_at';

function toUser(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    role: row.role,
    disabled: row.disabled_at !== null,
    createdAt: row.created_at,
  };
}

/** Users and their bcrypt hashes in MySQL. */
export class UserRepository {
  readonly #pool: Pool;
  readonly #bcryptRounds: number;
  readonly #events = new EventEmitter<{ disabled: [userId: number] }>();
  #dummyHash: Promise<string> | undefined;

  constructor(pool: Pool, options: { bcryptRounds: number }) {
    this.#pool = pool;
    this.#bcryptRounds = options.bcryptRounds;
  }

  async findById(id: number): Promise<User | undefined> {
    const [rows] = await this.#pool.execute<UserRow[]>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`, [id]);
    return rows[0] ? toUser(rows[0]) : undefined;
  }

  async findByUsername(username: string): Promise<User | undefined> {
    const [rows] = await this.#pool.execute<UserRow[]>(`SELECT ${USER_COLUMNS} FROM users WHERE username = ?`, [
      username.trim().toLowerCase(),
    ]);
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
    const hash = await bcrypt.hash(password.data, this.#bcryptRounds);
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

  /** Disables or re-enables a user; undefined when no such user. Disabling notifies `onDisabled` listeners. */
  async setDisabled(id: number, disabled: boolean): Promise<User | undefined> {
    await this.#pool.execute(
      disabled
        ? 'UPDATE users SET disabled_at = COALESCE(disabled_at, CURRENT_TIMESTAMP(3)) WHERE id = ?'
        : 'UPDATE users SET disabled_at = NULL WHERE id = ?',
      [id],
    );
    const user = await this.findById(id);
    if (user && disabled) this.#events.emit('disabled', user.id);
    return user;
  }

  /** Called in this process when a user is disabled here (other replicas must look at the DB). Returns unsubscribe. */
  onDisabled(listener: (userId: number) => void): () => void {
    this.#events.on('disabled', listener);
    return () => this.#events.off('disabled', listener);
  }

  /**
   * The enabled user whose password matches, else undefined. Unknown users, disabled users and over-long passwords
   * cost one bcrypt comparison too (against a dummy hash), so timing does not reveal which usernames exist.
   */
  async verifyCredentials(username: string, password: string): Promise<User | undefined> {
    const [rows] = await this.#pool.execute<UserRow[]>(
      `SELECT ${USER_COLUMNS}, password_hash FROM users WHERE username = ?`,
      [username.trim().toLowerCase()],
    );
    const row = rows[0];
    const tooLong = Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES;
    const hash = row && !tooLong ? row.password_hash : await this.#dummy();
    const matches = await bcrypt.compare(password, hash);
    if (!row || tooLong || !matches || row.disabled_at !== null) return undefined;
    return toUser(row);
  }

  #dummy(): Promise<string> {
    this.#dummyHash ??= bcrypt.hash(`dummy-${String(Math.random())}`, this.#bcryptRounds);
    return this.#dummyHash;
  }
}
