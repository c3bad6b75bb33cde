/**
 * Scenario 1: a rolling restart behind a real proxy. Three replicas on one database behind haproxy (the ALB stand-in),
 * a few hundred desktops holding sockets, steady HTTP, concurrent event producers; every replica is replaced one at
 * a time in the order Kubernetes and the AWS Load Balancer Controller use.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../../server/test/support/database.js';
import { range } from '../../server/test/desktop/client.js';
import { acknowledged, Fleet } from './support/fleet.js';
import type { Load } from './support/load.js';
import { summarize } from './support/load.js';
import type { StopResult } from './support/replica.js';
import { sleep } from './support/wait.js';

const REPLICAS = 3;
const USERS = 30;
const DESKTOPS_PER_USER = 10;
/** The contract's preStop sleep is 10 s; 2 s keeps three replacements short and still lets the drain settle. */
const PRE_STOP_MS = 2000;
/** "Within seconds of its 1001": the reconnect, through the proxy to another replica, including the welcome. */
const RECONNECT_MAX_MS = 5000;

describe('scenario 1: rolling restart behind haproxy', { timeout: 300_000 }, () => {
  let db: TestDatabase | undefined;
  let fleet: Fleet | undefined;
  let http: Load;
  let producers: Load;
  const stops: StopResult[] = [];

  before(async () => {
    db = await createTestDatabase();
    const started = await Fleet.start(db, REPLICAS, REPLICAS);
    fleet = started;
    await started.connectDesktops(db, USERS, DESKTOPS_PER_USER);
    http = started.steadyHttp(4, 240_000);
    producers = started.producers(3, 240_000);
    await sleep(2000);
    for (const slot of ['s1', 's2', 's3']) {
      stops.push((await started.replace(slot, PRE_STOP_MS)).stopped);
      await sleep(1000);
    }
    await sleep(1000);
    await Promise.all([http.stop(), producers.stop()]);
    await started.deliveredThrough(acknowledged(producers), 20_000).catch(() => undefined);
  });

  after(async () => {
    await fleet?.stop();
    await db?.drop();
  });

  const running = (): Fleet => {
    assert.ok(fleet, 'the fleet did not start');
    return fleet;
  };

  it('answers every HTTP request while replicas come and go (zero failures)', (t) => {
    const all = [...http.answers, ...producers.answers];
    t.diagnostic(`${all.length} requests (${producers.answers.length} events posted)`);
    assert.ok(all.length > 200, `only ${all.length} requests were sent`);
    const failed = all.filter((answer) => answer.status < 200 || answer.status >= 300);
    assert.equal(failed.length, 0, `${failed.length} of ${all.length} requests failed:\n${summarize(failed)}`);
  });

  it('reconnects every desktop within seconds of its 1001', (t) => {
    assert.equal(running().desktops.length, USERS * DESKTOPS_PER_USER);
    const closes = running().desktops.flatMap((desktop) => desktop.closeCodes);
    assert.ok(
      closes.length >= running().desktops.length,
      `only ${closes.length} server closes for ${running().desktops.length} desktops`,
    );
    assert.deepEqual([...new Set(closes)], [1001], 'every close during the rollout is a 1001');
    const delays = running().desktops.flatMap((desktop) => desktop.reconnectDelays);
    assert.equal(delays.length, closes.length, 'every close was followed by a reconnect');
    const slowest = Math.max(...delays);
    const median = delays.toSorted((a, b) => a - b)[Math.floor(delays.length / 2)];
    t.diagnostic(`${closes.length} closes with 1001, reconnect median ${median} ms, slowest ${slowest} ms`);
    assert.ok(slowest <= RECONNECT_MAX_MS, `slowest reconnect took ${slowest} ms`);
    assert.ok(
      running().desktops.every((desktop) => desktop.open),
      'every desktop is connected at the end',
    );
  });

  it('delivers every event to every desktop exactly once, in order, across reconnects', () => {
    const last = acknowledged(producers);
    assert.ok([...last.values()].reduce((sum, seq) => sum + seq, 0) > 100, 'the producers stored events');
    for (const desktop of running().desktops) {
      assert.deepEqual(desktop.problems, [], `desktop of user ${desktop.userId}`);
      const expected = last.get(desktop.userId) ?? 0;
      assert.deepEqual(
        desktop.received,
        range(1, Math.max(expected, desktop.last)),
        `desktop of user ${desktop.userId}`,
      );
    }
  });

  it('stops every old replica gracefully: exit 0, never by the force timeout', (t) => {
    assert.equal(stops.length, REPLICAS);
    t.diagnostic(`SIGTERM to exit: ${stops.map((stop) => `${stop.ms} ms`).join(', ')}`);
    for (const stop of stops) {
      assert.equal(stop.code, 0, `exit ${String(stop.code)} / ${String(stop.signal)}`);
      assert.equal(stop.forced, false, 'the force timeout fired');
      assert.ok(stop.ms < Number(running().env.SHUTDOWN_FORCE_MS), `stopping took ${stop.ms} ms`);
    }
  });
});
