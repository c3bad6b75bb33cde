/**
 * Scenario 2: the database goes away under load for about 30 s (a clean stop of the private MariaDB, as in an RDS
 * reboot or failover where connections are refused), then comes back on the same address.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RowDataPacket } from 'mysql2/promise';
import { createTestDatabase, type TestDatabase } from '../../server/test/support/database.js';
import { range } from '../../server/test/desktop/client.js';
import { StoppableDatabaseServer } from './support/database.js';
import { acknowledged, Fleet, watchProbes } from './support/fleet.js';
import { summarize, type Answer, type Load } from './support/load.js';
import { sleep } from './support/wait.js';

const OUTAGE_MS = Number(process.env.E2E_OUTAGE_SECONDS ?? 30) * 1000;
/** "Fail fast": a request that needs the database answers within this, never waits for it to come back. */
const FAST_FAIL_MS = 2000;
/** Full service within this of the database accepting connections again. */
const RECOVERY_MS = 5000;

describe('scenario 2: database outage under load', { timeout: 240_000 }, () => {
  let database: StoppableDatabaseServer | undefined;
  let db: TestDatabase | undefined;
  let fleet: Fleet | undefined;
  let http: Load;
  let producers: Load;
  let probes: ReturnType<typeof watchProbes>;
  let stoppedAt = 0;
  let backAt = 0;
  let endedAt = 0;

  before(async () => {
    database = await StoppableDatabaseServer.start();
    db = await createTestDatabase();
    const started = await Fleet.start(db, 2, 0);
    fleet = started;
    await started.connectDesktops(db, 10, 5);
    http = started.steadyHttp(3, 180_000);
    producers = started.producers(2, 180_000);
    probes = watchProbes(started, 250, 180_000);
    await sleep(3000);
    stoppedAt = Date.now();
    await database.stop();
    await sleep(OUTAGE_MS);
    await database.startAgain();
    backAt = Date.now();
    await sleep(RECOVERY_MS + 5000);
    endedAt = Date.now();
    await Promise.all([http.stop(), producers.stop(), probes.stop()]);
    await started.deliveredThrough(acknowledged(producers), 20_000).catch(() => undefined);
  });

  after(async () => {
    await fleet?.stop();
    await db?.drop();
    await database?.dispose();
  });

  const running = (): Fleet => {
    assert.ok(fleet, 'the fleet did not start');
    return fleet;
  };
  const all = (): Answer[] => [...http.answers, ...producers.answers];
  const during = (answer: Answer) => answer.startedAt >= stoppedAt && answer.startedAt < backAt;

  it('keeps every replica in rotation: liveness and the readiness probe answer 200, every target stays UP', (t) => {
    t.diagnostic(`${probes.answers.length} probe samples over ${Math.round((endedAt - stoppedAt) / 1000)} s`);
    const failed = probes.answers.filter((answer) => answer.status !== 200);
    assert.equal(failed.length, 0, `probes failed:\n${summarize(failed)}`);
    assert.deepEqual(probes.targetStates.slice(0, 10), [], 'haproxy took a target out of rotation');
  });

  it('keeps every desktop socket open through the outage', () => {
    for (const desktop of running().desktops) {
      assert.deepEqual(desktop.closeCodes, [], `desktop of user ${desktop.userId} was closed`);
      assert.ok(desktop.open);
    }
  });

  it('answers database-bound requests fast with 503 and the JSON error while the database is gone, never 500', (t) => {
    const outage = all().filter(during);
    assert.ok(outage.length > 50, `only ${outage.length} requests during the outage`);
    const refused = outage.filter((answer) => answer.status === 503);
    t.diagnostic(
      `${outage.length} requests during the outage, ${refused.length} answered 503, slowest ${Math.max(...outage.map((a) => a.ms))} ms`,
    );
    const wrong = outage.filter(
      (answer) =>
        !(answer.status >= 200 && answer.status < 300) &&
        !(answer.status === 503 && /^database_(unavailable|busy)$/.test(answer.code ?? '') && answer.retryAfter),
    );
    assert.equal(wrong.length, 0, `answers other than 2xx or 503 database_* with Retry-After:\n${summarize(wrong)}`);
    const slow = outage.filter((answer) => answer.ms > FAST_FAIL_MS);
    assert.equal(slow.length, 0, `answers slower than ${FAST_FAIL_MS} ms:\n${summarize(slow)}`);
    assert.ok(refused.length > 0, 'no request noticed the outage');
  });

  it(`serves fully again within ${RECOVERY_MS / 1000} s of the database's return`, (t) => {
    const recovered = all().filter((answer) => answer.startedAt >= backAt + RECOVERY_MS);
    const firstOk = all()
      .filter((answer) => answer.startedAt >= backAt && answer.status >= 200 && answer.status < 300)
      .filter((answer) => answer.what !== 'GET /health')
      .map((answer) => answer.startedAt + answer.ms - backAt);
    t.diagnostic(`first database-bound success ${Math.min(...firstOk)} ms after the database accepted again`);
    assert.ok(recovered.length > 20, `only ${recovered.length} requests after the recovery window`);
    const failed = recovered.filter((answer) => answer.status < 200 || answer.status >= 300);
    assert.equal(failed.length, 0, `still failing after ${RECOVERY_MS} ms:\n${summarize(failed)}`);
  });

  it('does not crash and has no unhandled rejection', () => {
    for (const [slot, replica] of running().replicas) {
      assert.equal(replica.exited(), undefined, `${slot} exited:\n${replica.output().slice(-2000)}`);
      assert.doesNotMatch(
        replica.output(),
        /unhandled (promise )?rejection|uncaught/i,
        `${slot} logged an unhandled error`,
      );
    }
  });

  it('loses nothing a client was told was stored: every 201 event is in the database and on every desktop', async () => {
    const last = acknowledged(producers);
    const [rows] = await db!.pool.query<RowDataPacket[]>(
      'SELECT user_id, COUNT(*) AS stored, MAX(seq) AS last FROM desktop_events GROUP BY user_id',
    );
    const stored = new Map(rows.map((row) => [Number(row.user_id), Number(row.last)]));
    for (const row of rows) assert.equal(Number(row.stored), Number(row.last), `user ${String(row.user_id)} has a gap`);
    for (const [userId, seq] of last) assert.ok((stored.get(userId) ?? 0) >= seq, `user ${userId} lost seq ${seq}`);
    for (const desktop of running().desktops) {
      assert.deepEqual(desktop.problems, [], `desktop of user ${desktop.userId}`);
      assert.deepEqual(
        desktop.received,
        range(1, stored.get(desktop.userId) ?? 0),
        `desktop of user ${desktop.userId}`,
      );
    }
  });
});
