/**
 * The fanout's races, made deterministic with a store whose reads the test releases by hand: a resume that lands while
 * a read is in flight, a read that fails (database down), a subscriber that goes away. No timers: pollMs is huge and
 * rounds run on wake().
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventFanout, type Subscriber } from '../../src/desktop/events/fanout.js';
import type { DesktopEvent, DesktopEventStore, UserCursor } from '../../src/desktop/events/store.js';
import { range } from './client.js';

const USER = 7;

/** Holds a user's events; each readAfter waits until the test calls release() (or fail()). */
class ManualStore {
  readonly events: DesktopEvent[] = [];
  readonly reads: { cursors: readonly UserCursor[]; release: () => void; fail: (error: Error) => void }[] = [];

  append(count: number): void {
    for (let index = 0; index < count; index += 1) {
      const seq = this.events.length + 1;
      this.events.push({ userId: USER, seq, topic: 't', data: seq, createdAt: Date.now() });
    }
  }

  readAfter(cursors: readonly UserCursor[], limit: number): Promise<DesktopEvent[]> {
    // Rows as of the moment the query runs (here: when it is issued), as a database snapshot would give.
    const rows = this.events
      .filter((event) => cursors.some((cursor) => cursor.userId === event.userId && event.seq > cursor.afterSeq))
      .slice(0, limit);
    return new Promise((resolve, reject) => {
      this.reads.push({
        cursors,
        release: () => {
          resolve(rows);
        },
        fail: reject,
      });
    });
  }

  /** Waits until a read is pending, then returns it. */
  async nextRead(): Promise<ManualStore['reads'][number]> {
    for (let turn = 0; turn < 100; turn += 1) {
      const read = this.reads.shift();
      if (read) return read;
      await new Promise((resolve) => setImmediate(resolve));
    }
    throw new Error('no read was issued');
  }
}

class RecordingSubscriber implements Subscriber {
  readonly userId = USER;
  readonly seen: number[] = [];
  gone = false;

  constructor(public cursor: number) {}

  deliver(event: DesktopEvent): boolean {
    if (this.gone) return false;
    this.seen.push(event.seq);
    this.cursor = event.seq;
    return true;
  }

  resyncRequired(): void {
    throw new Error('no pruning in these tests');
  }
}

function fanoutOn(store: ManualStore, errors: unknown[] = []): EventFanout {
  return new EventFanout(store as unknown as DesktopEventStore, {
    pollMs: 3_600_000,
    batchSize: 4,
    onError: (error) => errors.push(error),
  });
}

/** Releases reads until none is issued any more; fails if the rounds never stop (re-reading the same rows). */
async function settle(store: ManualStore): Promise<void> {
  for (let reads = 0; reads < 50; reads += 1) {
    await new Promise((resolve) => setImmediate(resolve));
    const read = store.reads.shift();
    if (!read) return;
    read.release();
  }
  throw new Error('delivery rounds never settle');
}

describe('event fanout', () => {
  it('a resume to an earlier seq while a read is in flight gets every event after it once, in order', async () => {
    const store = new ManualStore();
    store.append(12);
    const fanout = fanoutOn(store);
    const subscriber = new RecordingSubscriber(10);
    fanout.add(subscriber); // read 1: after 10
    const inFlight = await store.nextRead();
    subscriber.cursor = 3; // what DesktopConnection.resume does
    fanout.wake();
    inFlight.release(); // brings 11 and 12, read from the old cursor
    await settle(store);
    assert.deepEqual(subscriber.seen, range(4, 12));
    await fanout.stop();
  });

  it('a failed read delivers nothing and moves no cursor; the next round delivers everything', async () => {
    const store = new ManualStore();
    const errors: unknown[] = [];
    const fanout = fanoutOn(store, errors);
    const subscriber = new RecordingSubscriber(0);
    fanout.add(subscriber);
    await settle(store);
    store.append(6);
    fanout.wake();
    (await store.nextRead()).fail(new Error('connect ECONNREFUSED'));
    await settle(store);
    assert.equal(errors.length, 1);
    assert.deepEqual(subscriber.seen, []);
    assert.equal(subscriber.cursor, 0);
    fanout.wake(); // the next poll tick
    await settle(store);
    assert.deepEqual(subscriber.seen, range(1, 6));
    await fanout.stop();
  });

  it('forgets a subscriber that is gone, so its old cursor no longer holds back its user', async () => {
    const store = new ManualStore();
    store.append(4);
    const fanout = fanoutOn(store);
    const stuck = new RecordingSubscriber(0);
    stuck.gone = true; // closing: refuses every event
    const live = new RecordingSubscriber(4);
    fanout.add(stuck);
    fanout.add(live);
    await settle(store);
    store.append(10); // a backlog longer than a batch after the stuck cursor
    fanout.wake();
    await settle(store);
    assert.deepEqual(live.seen, range(5, 14));
    const cursorsRead: number[] = [];
    fanout.wake();
    const read = await store.nextRead();
    cursorsRead.push(...read.cursors.map((cursor) => cursor.afterSeq));
    read.release();
    await settle(store);
    assert.deepEqual(cursorsRead, [14]);
    await fanout.stop();
  });
});
