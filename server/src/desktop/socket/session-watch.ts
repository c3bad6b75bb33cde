/**
 * Closes live sockets whose session ended elsewhere: a user disabled or a grant revoked on this replica (at once) or
 * on another one, and tokens older than their account's last change (noticed by polling MySQL, since replicas share
 * nothing else).
 */
import { issuedBeforeChange, type UserRepository } from '../../auth/index.js';
import type { Pool, RowDataPacket } from '../../db/index.js';
import type { Logger } from '../../log/index.js';
import type { DesktopGrantStore } from '../login/grants.js';
import { CloseCode } from './close-codes.js';
import type { DesktopSocketServer } from './server.js';

export interface SessionWatchOptions {
  readonly pool: Pool;
  readonly sockets: DesktopSocketServer;
  readonly grants: DesktopGrantStore;
  readonly users: UserRepository;
  readonly logger: Logger;
  readonly pollMs: number;
}

// Session checks need not be as quick as event delivery; at most one query pair a second per replica.
const MIN_CHECK_MS = 1000;

export class DesktopSessionWatch {
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private checking: Promise<void> | undefined;

  constructor(private readonly options: SessionWatchOptions) {}

  start(): void {
    this.unsubscribe = this.options.users.onDisabled((userId) => {
      this.userDisabled(userId);
    });
    this.timer = setInterval(
      () => {
        // One check at a time: with the database slow or down, checks must not pile up on the pool.
        if (this.checking) return;
        this.checking = this.check()
          .catch((error: unknown) => {
            this.options.logger.warn({ err: error }, 'desktop session check failed');
          })
          .finally(() => {
            this.checking = undefined;
          });
      },
      Math.max(this.options.pollMs, MIN_CHECK_MS),
    );
    this.timer.unref();
  }

  /** Stops the timer and waits for a check in flight, so nothing queries the pool after it closes. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.unsubscribe?.();
    await this.checking;
  }

  grantRevoked(grantId: number): void {
    this.options.sockets.closeWhere((session) => session.grantId === grantId, CloseCode.tokenRevoked, 'token revoked');
  }

  userDisabled(userId: number): void {
    this.options.sockets.closeWhere((session) => session.user.id === userId, CloseCode.userDisabled, 'user disabled');
  }

  private async check(): Promise<void> {
    const sessions = this.options.sockets.sessions();
    if (sessions.length === 0) return;
    const userIds = [...new Set(sessions.map((session) => session.user.id))];
    // query, not execute: a prepared statement per list length would pile up toward max_prepared_stmt_count.
    const [rows] = await this.options.pool.query<RowDataPacket[]>(
      'SELECT id, disabled_at IS NOT NULL AS disabled, updated_at FROM users WHERE id IN (?)',
      [userIds],
    );
    const users = new Map(
      rows.map((row) => [Number(row.id), { disabled: Number(row.disabled) === 1, updatedAt: row.updated_at as Date }]),
    );
    const { sockets } = this.options;
    sockets.closeWhere(
      (session) => users.get(session.user.id)?.disabled === true,
      CloseCode.userDisabled,
      'user disabled',
    );
    // As at the upgrade: a token issued before its account's last change (new password, re-enabled) is revoked.
    sockets.closeWhere(
      (session) => {
        const user = users.get(session.user.id);
        return user === undefined || issuedBeforeChange(session.issuedAt, user.updatedAt);
      },
      CloseCode.tokenRevoked,
      'token revoked',
    );
    const revoked = await this.options.grants.revokedAmong([...new Set(sessions.map((session) => session.grantId))]);
    for (const grantId of revoked) this.grantRevoked(grantId);
  }
}
