/**
 * Closes live sockets whose session ended elsewhere: a user disabled or a grant revoked on this replica (at once) or
 * on another one, and tokens older than their account's last change (noticed by polling MySQL, since replicas share
 * nothing else), through UserRepository like every other user lookup.
 */
import { tokenRevoked, type UserRepository } from '../../auth/index.js';
import type { Logger } from '../../log/index.js';
import type { DesktopGrantStore } from '../login/grants.js';
import { CloseCode } from './close-codes.js';
import type { DesktopSocketServer } from './server.js';

export interface SessionWatchOptions {
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

  /**
   * Judges the sessions of one snapshot against the users as they are now. Only the snapshot is judged: a socket that
   * opened while the query ran was authenticated after it, and would be judged on figures older than its token.
   */
  private async check(): Promise<void> {
    const snapshot = new Set(this.options.sockets.sessions());
    if (snapshot.size === 0) return;
    const userIds = [...new Set([...snapshot].map((session) => session.user.id))];
    const users = new Map((await this.options.users.findManyById(userIds)).map((user) => [user.id, user]));
    const { sockets } = this.options;
    sockets.closeWhere(
      (session) => snapshot.has(session) && users.get(session.user.id)?.disabled === true,
      CloseCode.userDisabled,
      'user disabled',
    );
    // As at the upgrade: an account change since the token was issued (new password, re-enabled) revokes it.
    sockets.closeWhere(
      (session) => {
        if (!snapshot.has(session)) return false;
        const user = users.get(session.user.id);
        return user === undefined || tokenRevoked({ iat: session.issuedAt, ver: session.tokenVersion }, user);
      },
      CloseCode.tokenRevoked,
      'token revoked',
    );
    const grantIds = [...new Set([...snapshot].map((session) => session.grantId))];
    const revoked = new Set(await this.options.grants.revokedAmong(grantIds));
    // Grants are never re-activated, so a revoked one also ends sockets opened during the query.
    for (const grantId of revoked) this.grantRevoked(grantId);
  }
}
