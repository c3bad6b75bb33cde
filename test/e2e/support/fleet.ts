/**
 * A small "deployment" on loopback: N replicas of the server on one database behind haproxy (the ALB), users with
 * desktops holding sockets through it, and the load a scenario runs against it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverContract } from '../../../platform/server-contract.js';
import type { TestDatabase } from '../../../server/test/support/database.js';
import { openDesktops, provisionUsers, type DesktopUser, type ResilientDesktop } from './desktops.js';
import { Haproxy } from './haproxy.js';
import { postEventRequest, request, startLoad, type Load } from './load.js';
import { startPrivateRedis, type PrivateRedis } from '../../../server/test/support/redis-server.js';
import { startReplica, type Replica, type StopResult } from './replica.js';
import { sleep, waitUntil } from './wait.js';

/** Settings every e2e replica runs with: real defaults except where a loopback rehearsal must differ (said why). */
export function replicaEnv(db: TestDatabase, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    ...db.env,
    // spawnServer waits for the startup line, logged at info.
    LOG_LEVEL: 'info',
    // Shorter than production (15 s / 30 s) to keep the run short; the order of the steps is what is rehearsed.
    SHUTDOWN_GRACE_MS: '5000',
    SHUTDOWN_FORCE_MS: '10000',
    // Every client here is one machine; the login throttle per address would otherwise refuse the fleet's logins.
    LOGIN_MAX_ATTEMPTS_PER_IP: '1000000',
    ...overrides,
  };
}

export class Fleet {
  /** Slot name (s1, s2, ...) → the replica haproxy sends it to. */
  readonly replicas = new Map<string, Replica>();
  users: DesktopUser[] = [];
  desktops: ResilientDesktop[] = [];
  private nextSlot: number;

  private constructor(
    readonly scratch: string,
    readonly env: Record<string, string>,
    readonly haproxy: Haproxy,
    private readonly redis: PrivateRedis,
    replicas: Replica[],
  ) {
    replicas.forEach((replica, index) => this.replicas.set(`s${index + 1}`, replica));
    this.nextSlot = replicas.length + 1;
  }

  /** `count` replicas (with room for `spareSlots` more in the target group) sharing one database and one Redis. */
  static async start(db: TestDatabase, count: number, spareSlots: number, overrides: Record<string, string> = {}) {
    const scratch = mkdtempSync(join(tmpdir(), 'desktop-backend-e2e-'));
    const redis = await startPrivateRedis();
    const env = replicaEnv(db, { REDIS_URL: redis.url, ...overrides });
    const replicas: Replica[] = [];
    try {
      for (let index = 0; index < count; index++) replicas.push(await startReplica(env, scratch, `r${index + 1}`));
      const haproxy = await Haproxy.start(
        scratch,
        count + spareSlots,
        replicas.map((replica) => replica.port),
      );
      return new Fleet(scratch, env, haproxy, redis, replicas);
    } catch (error) {
      await Promise.all(replicas.map((replica) => replica.stop()));
      await redis.stop();
      rmSync(scratch, { recursive: true, force: true });
      throw error;
    }
  }

  /** Users, their API and desktop tokens (through the proxy), and their desktops connected. */
  async connectDesktops(db: TestDatabase, users: number, desktopsPerUser: number): Promise<void> {
    this.users = await provisionUsers(db, this.haproxy.baseUrl, users, desktopsPerUser, 'desk');
    this.desktops = await openDesktops(this.users, this.haproxy.wsUrl);
  }

  /** Steady HTTP through the proxy: GET /api/me (authenticated, touches the DB) and the liveness path. */
  steadyHttp(concurrency: number, maxMs: number): Load {
    return startLoad(concurrency, 20, maxMs, (loop, iteration) => {
      const user = this.users[(loop + iteration) % this.users.length]!;
      return iteration % 4 === 3
        ? request('GET /health', `${this.haproxy.baseUrl}${serverContract.paths.liveness}`)
        : request('GET /api/me', `${this.haproxy.baseUrl}/api/me`, {
            headers: { authorization: `Bearer ${user.apiToken}` },
          });
    });
  }

  /** Concurrent producers posting events for every user (several producers per user at once). */
  producers(concurrency: number, maxMs: number): Load {
    return startLoad(concurrency, 30, maxMs, (loop, iteration) => {
      const user = this.users[(iteration * concurrency + loop) % this.users.length]!;
      const { url, ...init } = postEventRequest(this.haproxy.baseUrl, user.apiToken, 'e2e.tick', { loop, iteration });
      return request('POST /api/desktop/events', url, init).then((answer) => ({ ...answer, userId: user.id }));
    });
  }

  /**
   * One replica replaced the way Kubernetes and the ALB controller do it: the new pod starts and turns ready
   * (readiness probe), its target registers and passes the health check, the old target is deregistered (drain),
   * the preStop sleep runs, then SIGTERM.
   */
  async replace(slot: string, preStopMs: number): Promise<{ newSlot: string; stopped: StopResult }> {
    const old = this.replicas.get(slot);
    if (!old) throw new Error(`no replica in ${slot}`);
    const newSlot = `s${this.nextSlot++}`;
    const fresh = await startReplica(this.env, this.scratch, `r-${newSlot}`);
    await waitUntil(
      async () => (await fetch(`${fresh.baseUrl}${serverContract.paths.readiness}`)).status === 200,
      `${newSlot} readiness probe`,
      30_000,
      200,
    );
    await this.haproxy.register(newSlot, fresh.port);
    this.replicas.set(newSlot, fresh);
    await this.haproxy.drain(slot);
    await sleep(preStopMs);
    const stopped = await old.stop();
    await this.haproxy.remove(slot);
    this.replicas.delete(slot);
    return { newSlot, stopped };
  }

  /** Waits until every desktop has seen `lastSeq[userId]` (everything acknowledged, and anything after it). */
  async deliveredThrough(lastSeq: Map<number, number>, timeoutMs: number): Promise<void> {
    await waitUntil(
      () => this.desktops.every((desktop) => desktop.last >= (lastSeq.get(desktop.userId) ?? 0)),
      'every desktop to receive every acknowledged event',
      timeoutMs,
      100,
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.desktops.map((desktop) => desktop.stop()));
    await Promise.all([...this.replicas.values()].map((replica) => replica.stop()));
    await this.haproxy.stop();
    await this.redis.stop();
    rmSync(this.scratch, { recursive: true, force: true });
  }
}

/** The highest seq acknowledged (201) per user by a producer load. */
export function acknowledged(load: Load): Map<number, number> {
  const last = new Map<number, number>();
  for (const answer of load.answers) {
    if (answer.status !== 201) continue;
    const seq = (answer.body as { seq?: number } | undefined)?.seq ?? 0;
    const userId = answer.userId ?? 0;
    last.set(userId, Math.max(last.get(userId) ?? 0, seq));
  }
  return last;
}

/** What the kubelet and the ALB see, sampled every `intervalMs`: each replica's probes and each target's state. */
export function watchProbes(fleet: Fleet, intervalMs: number, maxMs: number): Load & { targetStates: string[] } {
  const targetStates: string[] = [];
  const replicas = [...fleet.replicas.entries()];
  const load = startLoad(1, intervalMs, maxMs, async () => {
    const targets = await fleet.haproxy.targets();
    for (const [slot] of replicas) {
      const status = targets[slot]?.status ?? 'absent';
      if (status !== 'UP') targetStates.push(`${slot} ${status}`);
    }
    const answers = await Promise.all(
      replicas.flatMap(([slot, replica]) => [
        request(`${slot} liveness`, `${replica.baseUrl}${serverContract.paths.liveness}`),
        request(`${slot} readiness`, `${replica.baseUrl}${serverContract.paths.readiness}`),
      ]),
    );
    const failed = answers.find((answer) => answer.status !== 200);
    return failed ?? answers[0]!;
  });
  return Object.assign(load, { targetStates });
}
