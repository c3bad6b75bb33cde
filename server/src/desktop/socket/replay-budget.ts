/**
 * Replays per user on this replica: a socket's resume allowance starts again with every reconnect, so without a
 * per-user count a client could reconnect with `?afterSeq=0` over and over and have the history re-read each time.
 * Past the budget a replay is answered with `resync_required` instead (the socket stays, live events go on).
 */
import { RateWindow } from './rate-window.js';

const WINDOW_MS = 60_000;

export class ReplayBudget {
  private readonly windows = new Map<number, RateWindow>();
  private lastSweep = Date.now();

  constructor(private readonly perMinute: number) {}

  /** Counts one replay for the user; false when the user is past the budget of the current minute. */
  take(userId: number, now = Date.now()): boolean {
    this.sweep(now);
    let window = this.windows.get(userId);
    if (!window) {
      window = new RateWindow(this.perMinute, WINDOW_MS);
      this.windows.set(userId, window);
    }
    return window.hit(now);
  }

  /** Forgets users whose minute is over, at most once a minute: the map holds only recently active users. */
  private sweep(now: number): void {
    if (now - this.lastSweep < WINDOW_MS) return;
    this.lastSweep = now;
    for (const [userId, window] of this.windows) {
      if (window.retryAfterMs(now) === 0) this.windows.delete(userId);
    }
  }
}
