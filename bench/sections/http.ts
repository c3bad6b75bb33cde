/** 1. HTTP: A node:http hello, B bare Express 5 hello, C our /health, D our authenticated /api/me; wrk, 64 conns. */
import { createFixtureUserToken } from './http-user.js';
import type { Fixture } from '../lib/fixture.js';
import { serverEnv, startReplicas, stopAll } from '../lib/fixture.js';
import { startTarget } from '../lib/processes.js';
import { median, round } from '../lib/stats.js';
import { wrk, type WrkResult } from '../lib/wrk.js';

export interface HttpFigures {
  rounds: number;
  seconds: number;
  connections: number;
  targets: Record<
    'A' | 'B' | 'C' | 'D',
    { name: string; requestsPerSecond: number; p50Ms: number; p99Ms: number; errors: number }
  >;
}

export async function benchHttp(fixture: Fixture, options: { rounds: number; seconds: number }): Promise<HttpFigures> {
  const connections = 64;
  const nodeHello = await startTarget('hello-node.ts', {}, '/');
  const expressHello = await startTarget('hello-express.ts', {}, '/');
  const [ours] = await startReplicas(serverEnv(fixture), 1);
  if (!ours) throw new Error('no replica');
  try {
    const token = await createFixtureUserToken(fixture, ours.url);
    const plan = {
      A: { name: 'node:http hello', url: `${nodeHello.url}/`, headers: {} },
      B: { name: 'bare Express 5 hello', url: `${expressHello.url}/`, headers: {} },
      C: { name: 'our GET /health', url: `${ours.url}/health`, headers: {} },
      D: { name: 'our GET /api/me (bearer)', url: `${ours.url}/api/me`, headers: { authorization: `Bearer ${token}` } },
    } as const;
    const runs: Record<string, WrkResult[]> = { A: [], B: [], C: [], D: [] };
    // Warm-up, then rounds that interleave the targets so each sees the same machine load.
    for (const target of Object.values(plan))
      await wrk(target.url, { connections, seconds: 1, headers: target.headers });
    for (let round = 0; round < options.rounds; round += 1) {
      for (const [key, target] of Object.entries(plan)) {
        runs[key]?.push(await wrk(target.url, { connections, seconds: options.seconds, headers: target.headers }));
      }
    }
    const summary = (key: 'A' | 'B' | 'C' | 'D') => {
      const results = runs[key] ?? [];
      return {
        name: plan[key].name,
        requestsPerSecond: round(median(results.map((result) => result.requestsPerSecond)), 0),
        p50Ms: round(median(results.map((result) => result.p50Ms)), 2),
        p99Ms: round(median(results.map((result) => result.p99Ms)), 2),
        errors: results.reduce((sum, result) => sum + result.errors, 0),
      };
    };
    return {
      rounds: options.rounds,
      seconds: options.seconds,
      connections,
      targets: { A: summary('A'), B: summary('B'), C: summary('C'), D: summary('D') },
    };
  } finally {
    await Promise.all([nodeHello.child.stop(), expressHello.child.stop(), stopAll([ours])]);
  }
}
