/**
 * 3. Delivery: every user has one desktop on each of two replicas; producers POST at a steady rate; latency from POST
 * start to the event frame, same replica and cross replica, with producers on both replicas and on one, with Redis
 * wake-ups and (full run) with polling alone. Every delivery is counted: exactly once means no duplicate, no gap,
 * and deliveries = 2 x events stored.
 */
import {
  createUsers,
  serverEnv,
  startReplicas,
  stopAll,
  type BenchUser,
  type Fixture,
  type Replica,
} from '../lib/fixture.js';
import { startLoad, type Child } from '../lib/processes.js';
import { percentile, round } from '../lib/stats.js';
import type { DeliveryStats, DesktopsReply, SocketPlan } from '../load/desktops.js';
import type { ProducerReply, ProducerTarget } from '../load/producer.js';

export interface Latency {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  samples: number;
}
export interface DeliveryScenario {
  name: string;
  events: number;
  failedPosts: number;
  delivered: number;
  expected: number;
  duplicates: number;
  gaps: number;
  same: Latency;
  cross: Latency;
}
export interface DeliveryFigures {
  desktops: number;
  ratePerSecond: number;
  seconds: number;
  scenarios: DeliveryScenario[];
}

const latency = (values: number[]): Latency => ({
  p50Ms: round(percentile(values, 50)),
  p99Ms: round(percentile(values, 99)),
  maxMs: values.length === 0 ? NaN : round(values.reduce((max, value) => Math.max(max, value), -Infinity)),
  samples: values.length,
});

async function openDesktops(replicas: Replica[], users: BenchUser[]): Promise<Child[]> {
  return Promise.all(
    replicas.map(async (replica, index) => {
      const child = startLoad('desktops.ts');
      const sockets: SocketPlan[] = users.map((user) => ({
        url: replica.wsUrl,
        token: user.desktopToken,
        replica: index,
      }));
      const reply = await child.request<Extract<DesktopsReply, { type: 'opened' }>>({
        type: 'open',
        sockets,
        concurrency: 50,
        afterSeq: 0,
      });
      if (reply.failed > 0) throw new Error(`desktops failed to open: ${reply.firstError ?? ''}`);
      return child;
    }),
  );
}

async function scenario(
  name: string,
  replicas: Replica[],
  clients: Child[],
  users: BenchUser[],
  producerReplicas: number[],
  options: { ratePerSecond: number; seconds: number },
): Promise<DeliveryScenario> {
  for (const client of clients) client.send({ type: 'reset' });
  const targets: ProducerTarget[] = users.map((user, index) => {
    const replica = producerReplicas[index % producerReplicas.length] ?? 0;
    return { baseUrl: replicas[replica]?.url ?? '', token: user.apiToken, replica };
  });
  const producer = startLoad('producer.ts');
  const produced = await producer.request<ProducerReply>(
    { type: 'run', targets, ratePerSecond: options.ratePerSecond, durationMs: options.seconds * 1000 },
    (options.seconds + 60) * 1000,
  );
  await producer.stop();
  const expected = produced.sent * replicas.length;
  let stats: DeliveryStats[];
  const deadline = Date.now() + 10_000;
  do {
    await new Promise((resolve) => setTimeout(resolve, 250));
    stats = (await Promise.all(clients.map((client) => client.request<DesktopsReply>({ type: 'report' })))).map(
      (reply) => (reply as Extract<DesktopsReply, { type: 'report' }>).stats,
    );
  } while (stats.reduce((sum, s) => sum + s.delivered, 0) < expected && Date.now() < deadline);
  return {
    name,
    events: produced.sent,
    failedPosts: produced.failed,
    delivered: stats.reduce((sum, s) => sum + s.delivered, 0),
    expected,
    duplicates: stats.reduce((sum, s) => sum + s.duplicates, 0),
    gaps: stats.reduce((sum, s) => sum + s.gaps, 0),
    same: latency(stats.flatMap((s) => s.same)),
    cross: latency(stats.flatMap((s) => s.cross)),
  };
}

async function closeClients(clients: Child[]): Promise<void> {
  await Promise.all(clients.map((client) => client.request({ type: 'close' }).catch(() => undefined)));
  await Promise.all(clients.map((client) => client.stop()));
}

export async function benchDelivery(
  fixture: Fixture,
  options: { users: number; ratePerSecond: number; seconds: number; pollOnly: boolean },
): Promise<DeliveryFigures & { users: BenchUser[] }> {
  const scenarios: DeliveryScenario[] = [];
  const modes = options.pollOnly ? [true, false] : [true];
  let redisUsers: BenchUser[] = [];
  for (const withRedis of modes) {
    const env = serverEnv(fixture, withRedis ? {} : { REDIS_URL: '' });
    const replicas = await startReplicas(env, 2);
    let clients: Child[] = [];
    try {
      const users = await createUsers(fixture, replicas[0]?.url ?? '', withRedis ? 'dr' : 'dp', options.users);
      if (withRedis) redisUsers = users;
      clients = await openDesktops(replicas, users);
      const label = withRedis ? 'Redis wake-ups' : 'poll only';
      if (withRedis)
        scenarios.push(await scenario(`${label}, producers on both`, replicas, clients, users, [0, 1], options));
      scenarios.push(await scenario(`${label}, producers on one`, replicas, clients, users, [0], options));
    } finally {
      await closeClients(clients);
      await stopAll(replicas);
    }
  }
  return {
    desktops: options.users * 2,
    ratePerSecond: options.ratePerSecond,
    seconds: options.seconds,
    scenarios,
    users: redisUsers,
  };
}
