/**
 * 2. WebSocket: N authenticated desktop sockets over two replicas, opened by client processes at once; time to open
 * them, and RSS and live heap (after a forced GC) per socket, against a bare `ws` server holding as many. Memory per
 * socket is the marginal cost: every server (ours and the bare one alike) first opens and drops a warm-up batch, so
 * one-time costs (compiled code, the database pool filling up) are not charged to the sockets.
 */
import { createUsers, serverEnv, startReplicas, stopAll, type Fixture } from '../lib/fixture.js';
import { startLoad, startTarget, type Child } from '../lib/processes.js';
import { round } from '../lib/stats.js';
import type { DesktopsReply, SocketPlan } from '../load/desktops.js';
import type { ProbeReply } from '../targets/probe-ipc.js';

const CLIENTS_PER_SERVER = 2;
// Upgrades in flight per client process; each costs a few queries on a 10-connection pool.
const CONCURRENCY_PER_CLIENT = 25;
const WARM_UP_SOCKETS_PER_SERVER = 200;

export interface SocketFigures {
  sockets: number;
  openSeconds: number;
  failed: number;
  firstError?: string;
  ours: { rssKiBPerSocket: number; heapKiBPerSocket: number };
  bare: { rssKiBPerSocket: number; heapKiBPerSocket: number };
}

type Memory = Extract<ProbeReply, { type: 'memory' }>;

async function memory(child: Child): Promise<Memory> {
  return child.request<Memory>({ type: 'memory' });
}

/** Opens `perServer` sockets on each server from client processes; returns the clients (holding them) and timing. */
async function openOn(servers: { wsUrl: string }[], perServer: number, tokens: string[]) {
  const clients: Child[] = [];
  const jobs: Promise<Extract<DesktopsReply, { type: 'opened' }>>[] = [];
  servers.forEach((server, replica) => {
    for (let client = 0; client < CLIENTS_PER_SERVER; client += 1) {
      const count = Math.floor(perServer / CLIENTS_PER_SERVER);
      const sockets: SocketPlan[] = Array.from({ length: count }, (_, index) => ({
        url: server.wsUrl,
        token: tokens[(index + client) % tokens.length] ?? '',
        replica,
      }));
      const child = startLoad('desktops.ts');
      clients.push(child);
      jobs.push(child.request({ type: 'open', sockets, concurrency: CONCURRENCY_PER_CLIENT, afterSeq: 0 }, 300_000));
    }
  });
  const started = performance.now();
  const results = await Promise.all(jobs);
  return {
    clients,
    seconds: (performance.now() - started) / 1000,
    opened: results.reduce((sum, result) => sum + result.opened, 0),
    failed: results.reduce((sum, result) => sum + result.failed, 0),
    firstError: results.find((result) => result.firstError)?.firstError,
  };
}

async function closeClients(clients: Child[]): Promise<void> {
  await Promise.all(clients.map((client) => client.request({ type: 'close' }).catch(() => undefined)));
  await Promise.all(clients.map((client) => client.stop()));
}

/** Opens and drops a batch of sockets, then gives the server a moment to see them go. */
async function warmUp(servers: { wsUrl: string }[], tokens: string[]): Promise<void> {
  const batch = await openOn(servers, WARM_UP_SOCKETS_PER_SERVER, tokens);
  await closeClients(batch.clients);
  await new Promise((resolve) => setTimeout(resolve, 1000));
}

const perSocketKiB = (before: number, after: number, count: number) => round((after - before) / 1024 / count, 1);

export async function benchSockets(fixture: Fixture, options: { sockets: number }): Promise<SocketFigures> {
  const perServer = Math.floor(options.sockets / 2);
  const replicas = await startReplicas(serverEnv(fixture), 2);
  let ours: SocketFigures['ours'];
  let opened: Awaited<ReturnType<typeof openOn>>;
  try {
    const users = await createUsers(fixture, replicas[0]?.url ?? '', 'ws', 10);
    await warmUp(
      replicas,
      users.map((user) => user.desktopToken),
    );
    const before = await Promise.all(replicas.map((replica) => memory(replica.child)));
    opened = await openOn(
      replicas,
      perServer,
      users.map((user) => user.desktopToken),
    );
    const after = await Promise.all(replicas.map((replica) => memory(replica.child)));
    const each = opened.opened / 2;
    const rss = before.map((b, index) => perSocketKiB(b.rss, after[index]?.rss ?? NaN, each));
    const heap = before.map((b, index) => perSocketKiB(b.heapUsed, after[index]?.heapUsed ?? NaN, each));
    ours = { rssKiBPerSocket: round((rss[0]! + rss[1]!) / 2), heapKiBPerSocket: round((heap[0]! + heap[1]!) / 2) };
    await closeClients(opened.clients);
  } finally {
    await stopAll(replicas);
  }

  const bare = await startTarget('bare-ws.ts', {}, '/');
  try {
    const bareServer = [{ wsUrl: bare.url.replace('http', 'ws') }];
    await warmUp(bareServer, ['unused']);
    const before = await memory(bare.child);
    const held = await openOn(bareServer, perServer, ['unused']);
    const after = await memory(bare.child);
    const bareFigures = {
      rssKiBPerSocket: perSocketKiB(before.rss, after.rss, held.opened),
      heapKiBPerSocket: perSocketKiB(before.heapUsed, after.heapUsed, held.opened),
    };
    await closeClients(held.clients);
    return {
      sockets: opened.opened,
      openSeconds: round(opened.seconds, 2),
      failed: opened.failed,
      ...(opened.firstError ? { firstError: opened.firstError } : {}),
      ours,
      bare: bareFigures,
    };
  } finally {
    await bare.child.stop();
  }
}
