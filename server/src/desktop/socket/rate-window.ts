/** A fixed-window counter for one socket (messages per 10 s, resumes per minute): no timers, no shared state. */
export class RateWindow {
  private windowStart = Date.now();
  private hits = 0;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Counts a hit; false when it is over the limit of the current window. */
  hit(now = Date.now()): boolean {
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.hits = 0;
    }
    this.hits += 1;
    return this.hits <= this.limit;
  }

  /** Milliseconds until the current window ends. */
  retryAfterMs(now = Date.now()): number {
    return Math.max(0, this.windowStart + this.windowMs - now);
  }
}
