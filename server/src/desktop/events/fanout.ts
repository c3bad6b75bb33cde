/**
 * Delivers stored events to the subscribers connected to this replica.
 *
 * MySQL is the only source of events: each replica polls for the events of its connected users past what it
 * delivered (one query per round for all of them). A POST wakes a round at once on its own replica and, through the
 * replica bus (Redis, when configured), on the replicas that hold a socket of that user; the poll stays as the
 * fallback for lost wake-ups and for Redis outages. Rounds never overlap, and a subscriber only ever receives
 * `cursor + 1`, so each sees every seq once, in order, whatever the timing.
 */
import type { ReplicaBus } from '../../replicas/index.js';
import type { DesktopEvent, DesktopEventStore, UserCursor } from './store.js';

// Keeps each polling statement small however many users are connected.
const USERS_PER_QUERY = 500;

export interface Subscriber {
  readonly userId: number;
  /** The last seq this subscriber has been given. */
  readonly cursor: number;
  /**
   * Sends the event (which is always `cursor + 1`) and advances the cursor; false when the subscriber is gone or
   * closing, after which the fanout forgets it (a closing socket must not pin its user's read position).
   */
  deliver(event: DesktopEvent): boolean;
  /** Events after `cursor` up to `oldestSeq - 1` were pruned before delivery; continue after `lastSeq`. */
  resyncRequired(oldestSeq: number, lastSeq: number): void;
}

export interface FanoutOptions {
  readonly pollMs: number;
  /** Rows per query; a full batch is followed by another round at once. */
  readonly batchSize?: number;
  readonly onError: (error: unknown) => void;
  /** Wake-ups to and from the other replicas; without it they find new events at their next poll. */
  readonly replicas?: ReplicaBus | undefined;
}

export class EventFanout {
  private readonly subscribers = new Map<number, Set<Subscriber>>();
  private readonly batchSize: number;
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private pending = false;
  private stopped = false;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly store: DesktopEventStore,
    private readonly options: FanoutOptions,
  ) {
    this.batchSize = options.batchSize ?? 500;
  }

  start(): void {
    this.timer = setInterval(() => {
      this.wake();
    }, this.options.pollMs);
    this.timer.unref();
    this.unsubscribe = this.options.replicas?.subscribe((message) => {
      // Only replicas holding a socket of that user look; the others have nothing to deliver.
      if (message.kind === 'events' && this.subscribers.has(message.userId)) this.wake();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.unsubscribe?.();
    await this.round;
  }

  /** A new event for the user was committed here: deliver it now on this replica and wake the others. */
  published(userId: number): void {
    this.wake();
    this.options.replicas?.publish({ kind: 'events', userId });
  }

  add(subscriber: Subscriber): void {
    let set = this.subscribers.get(subscriber.userId);
    if (!set) {
      set = new Set();
      this.subscribers.set(subscriber.userId, set);
    }
    set.add(subscriber);
    this.wake();
  }

  remove(subscriber: Subscriber): void {
    const set = this.subscribers.get(subscriber.userId);
    set?.delete(subscriber);
    if (set?.size === 0) this.subscribers.delete(subscriber.userId);
  }

  /** Runs a delivery round now, or right after the one in progress. */
  wake(): void {
    if (this.stopped) return;
    if (this.round) {
      this.pending = true;
      return;
    }
    this.round = this.runRounds().finally(() => {
      this.round = undefined;
    });
  }

  private async runRounds(): Promise<void> {
    do {
      this.pending = false;
      try {
        const full = await this.deliverOnce();
        if (full) this.pending = true;
      } catch (error) {
        this.options.onError(error);
        return; // the next poll tick retries
      }
    } while (this.pending && !this.stopped);
  }

  /** One query per chunk of connected users; true when a batch was full and more may be waiting. */
  private async deliverOnce(): Promise<boolean> {
    const cursors: UserCursor[] = [];
    for (const [userId, set] of this.subscribers) {
      let afterSeq = Infinity;
      for (const subscriber of set) afterSeq = Math.min(afterSeq, subscriber.cursor);
      cursors.push({ userId, afterSeq });
    }
    let full = false;
    for (let start = 0; start < cursors.length; start += USERS_PER_QUERY) {
      const chunk = cursors.slice(start, start + USERS_PER_QUERY);
      const events = await this.store.readAfter(chunk, this.batchSize);
      this.dispatch(chunk, events);
      full ||= events.length === this.batchSize;
    }
    return full;
  }

  private dispatch(cursors: readonly UserCursor[], events: readonly DesktopEvent[]): void {
    const fetchedFrom = new Map(cursors.map((cursor) => [cursor.userId, cursor.afterSeq]));
    for (const [userId, run] of groupByUser(events)) {
      const from = fetchedFrom.get(userId) ?? 0;
      for (const subscriber of this.subscribers.get(userId) ?? []) {
        // A subscriber that moved its cursor back during the query is served by the next round.
        if (subscriber.cursor < from) continue;
        if (!deliverRun(subscriber, run)) this.remove(subscriber);
      }
    }
  }
}

/** False when the subscriber is gone. */
function deliverRun(subscriber: Subscriber, run: readonly DesktopEvent[]): boolean {
  for (const event of run) {
    if (event.seq <= subscriber.cursor) continue;
    if (event.seq !== subscriber.cursor + 1) {
      // Each user's events become visible as a gap-free prefix, so a hole can only be pruning.
      subscriber.resyncRequired(event.seq, run.at(-1)?.seq ?? event.seq);
      return true;
    }
    if (!subscriber.deliver(event)) return false;
  }
  return true;
}

/** Consecutive events of each user (the query orders by user, then seq). */
function groupByUser(events: readonly DesktopEvent[]): Map<number, DesktopEvent[]> {
  const runs = new Map<number, DesktopEvent[]>();
  for (const event of events) {
    const run = runs.get(event.userId);
    if (run) run.push(event);
    else runs.set(event.userId, [event]);
  }
  return runs;
}
