/**
 * Closes sockets when their token expires, with one timer per server instead of one per socket: a timer per socket
 * costs a Timeout, a closure and, for every distinct delay, a timer list. Tokens expire on whole seconds (`exp`), so
 * sockets wait in per-second buckets and a one-second tick expires every bucket that has come due.
 */

export interface Expiring {
  /** Token expiry, epoch seconds. */
  readonly expiresAt: number;
  expire(): void;
}

const TICK_MS = 1000;

export class ExpiryClock<T extends Expiring> {
  private readonly due = new Map<number, Set<T>>();
  /** Every bucket up to and including this second has been expired. */
  private doneThrough = nowSeconds() - 1;
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.timer = setInterval(() => {
      this.tick(nowSeconds());
    }, TICK_MS);
    this.timer.unref();
  }

  add(item: T): void {
    // A token that expired while its socket was being admitted expires now.
    if (item.expiresAt <= this.doneThrough) {
      item.expire();
      return;
    }
    const bucket = this.due.get(item.expiresAt);
    if (bucket) bucket.add(item);
    else this.due.set(item.expiresAt, new Set([item]));
  }

  remove(item: T): void {
    const bucket = this.due.get(item.expiresAt);
    if (!bucket?.delete(item) || bucket.size > 0) return;
    this.due.delete(item.expiresAt);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Expires every bucket up to `now` (epoch seconds): the ones a late tick skipped too. */
  tick(now: number): void {
    for (let second = this.doneThrough + 1; second <= now; second += 1) {
      const bucket = this.due.get(second);
      this.due.delete(second);
      this.doneThrough = second;
      for (const item of bucket ?? []) item.expire();
    }
  }
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
