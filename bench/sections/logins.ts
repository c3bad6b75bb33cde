/**
 * 4. Event-loop delay on a replica during a login storm at BCRYPT_ROUNDS=12 (the default), while its desktops
 * receive events; measured inside the server (perf_hooks, 1 ms resolution), with /health timed from outside.
 */
import { createUser, login } from '../../server/test/support/server.js';
import { PASSWORD, serverEnv, startReplicas, stopAll, type BenchUser, type Fixture } from '../lib/fixture.js';
import { startLoad } from '../lib/processes.js';
import { percentile, round } from '../lib/stats.js';
import type { DesktopsReply, SocketPlan } from '../load/desktops.js';
import type { LoginsReply } from '../load/logins.js';
import type { ProducerReply } from '../load/producer.js';
import type { ProbeReply } from '../targets/probe-ipc.js';

export interface LoginFigures {
  bcryptRounds: number;
  concurrency: number;
  seconds: number;
  logins: number;
  loginP50Ms: number;
  desktops: number;
  eventsPerSecond: number;
  idleLoop: { p99Ms: number; maxMs: number };
  stormLoop: { p50Ms: number; p99Ms: number; maxMs: number };
  healthP99Ms: number;
}

type Loop = Extract<ProbeReply, { type: 'loop' }>;

export async function benchLogins(
  fixture: Fixture,
  users: BenchUser[],
  options: { seconds: number; concurrency: number },
): Promise<LoginFigures> {
  const bcryptRounds = 12;
  const [replica] = await startReplicas(serverEnv(fixture, { BCRYPT_ROUNDS: String(bcryptRounds) }), 1);
  if (!replica) throw new Error('no replica');
  const desktops = startLoad('desktops.ts');
  try {
    await createUser(fixture.db, { username: 'storm', password: PASSWORD });
    await login(replica.url, 'storm', PASSWORD); // re-hashes at cost 12 once, before measuring
    const sockets: SocketPlan[] = users.map((user) => ({ url: replica.wsUrl, token: user.desktopToken, replica: 0 }));
    await desktops.request({ type: 'open', sockets, concurrency: 50 });
    const eventsPerSecond = 50;
    const produce = (seconds: number) => {
      const producer = startLoad('producer.ts');
      const targets = users.map((user) => ({ baseUrl: replica.url, token: user.apiToken, replica: 0 }));
      return producer
        .request<ProducerReply>({ type: 'run', targets, ratePerSecond: eventsPerSecond, durationMs: seconds * 1000 })
        .finally(() => producer.stop());
    };

    replica.child.send({ type: 'loop-start' });
    await produce(Math.min(5, options.seconds));
    const idle = await replica.child.request<Loop>({ type: 'loop-stop' });

    replica.child.send({ type: 'loop-start' });
    const storm = startLoad('logins.ts');
    const [logins] = await Promise.all([
      storm.request<LoginsReply>(
        {
          type: 'run',
          baseUrl: replica.url,
          username: 'storm',
          password: PASSWORD,
          concurrency: options.concurrency,
          durationMs: options.seconds * 1000,
        },
        (options.seconds + 60) * 1000,
      ),
      produce(options.seconds),
    ]);
    const loop = await replica.child.request<Loop>({ type: 'loop-stop' });
    await storm.stop();
    return {
      bcryptRounds,
      concurrency: options.concurrency,
      seconds: options.seconds,
      logins: logins.logins,
      loginP50Ms: round(logins.loginP50Ms),
      desktops: users.length,
      eventsPerSecond,
      idleLoop: { p99Ms: round(idle.p99Ms), maxMs: round(idle.maxMs) },
      stormLoop: { p50Ms: round(loop.p50Ms), p99Ms: round(loop.p99Ms), maxMs: round(loop.maxMs) },
      healthP99Ms: round(percentile(logins.health, 99)),
    };
  } finally {
    await desktops.request<DesktopsReply>({ type: 'close' }).catch(() => undefined);
    await desktops.stop();
    await stopAll([replica]);
  }
}
