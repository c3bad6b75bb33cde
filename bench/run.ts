/**
 * `npm run bench [-- --quick]`: the performance suite of bench/BASELINE.md, against the BUILT server (npm run bench
 * builds first), a private MariaDB and a private redis-server; load generators run in their own processes. Prints one
 * table and writes the figures as JSON to bench/results/. Bounded: the full run takes a few minutes (< 10), --quick
 * under 2; a deadline stops it otherwise.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { createFixture } from './lib/fixture.js';
import { repositoryRoot } from './lib/processes.js';
import { benchDelivery } from './sections/delivery.js';
import { benchHttp } from './sections/http.js';
import { benchLogins } from './sections/logins.js';
import { benchSockets } from './sections/sockets.js';
import { benchSynth } from './sections/synth.js';
import type { BenchResults } from './lib/results.js';
import { printTable } from './table.js';

const quick = process.argv.includes('--quick');
/** `--only=http,sockets,...`: a subset of the sections, for working on one. */
const only = process.argv
  .find((arg) => arg.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const runs = (section: string) => only === undefined || only.includes(section);
const settings = quick
  ? {
      rounds: 1,
      httpSeconds: 3,
      sockets: 2000,
      users: 100,
      rate: 100,
      deliverySeconds: 6,
      pollOnly: false,
      stormSeconds: 6,
    }
  : {
      rounds: 3,
      httpSeconds: 5,
      sockets: 10_000,
      users: 500,
      rate: 200,
      deliverySeconds: 20,
      pollOnly: true,
      stormSeconds: 15,
    };
const DEADLINE_MS = quick ? 115_000 : 570_000;

async function main(): Promise<void> {
  if (process.versions.node.split('.')[0] !== '24') {
    throw new Error(`the benchmark runs on Node 24 (this is ${process.versions.node}); see README for the PATH line`);
  }
  // The HTTP section's load generator is Debian's wrk; say so before a run fails half-way with ENOENT.
  if (runs('http') && spawnSync('wrk', ['--version']).error) {
    throw new Error('npm run bench needs wrk for its HTTP section: apt-get install wrk (or pass --only=sockets,...)');
  }
  const started = performance.now();
  const results: BenchResults = {
    mode: quick ? 'quick' : 'full',
    startedAt: new Date().toISOString(),
    seconds: 0,
    machine: {
      cpus: availableParallelism(),
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.versions.node,
    },
  };
  const fixture = await createFixture();
  try {
    const step = (name: string) => {
      console.error(`[bench ${((performance.now() - started) / 1000).toFixed(0)}s] ${name}`);
    };
    step('HTTP');
    if (runs('http'))
      results.http = await benchHttp(fixture, { rounds: settings.rounds, seconds: settings.httpSeconds });
    step('WebSocket');
    if (runs('sockets')) results.sockets = await benchSockets(fixture, { sockets: settings.sockets });
    step('delivery');
    if (runs('delivery') || runs('logins')) {
      const { users, ...delivery } = await benchDelivery(fixture, {
        users: settings.users,
        ratePerSecond: settings.rate,
        seconds: settings.deliverySeconds,
        pollOnly: settings.pollOnly,
      });
      results.delivery = delivery;
      step('login storm');
      results.logins = await benchLogins(fixture, users.slice(0, 200), {
        seconds: settings.stormSeconds,
        concurrency: 8,
      });
    }
    step('synth');
    if (runs('synth')) results.synth = await benchSynth();
  } finally {
    await fixture.stop();
  }
  results.seconds = Math.round((performance.now() - started) / 1000);
  printTable(results);
  const folder = join(repositoryRoot, 'bench/results');
  mkdirSync(folder, { recursive: true });
  const file = join(folder, `${results.startedAt.replace(/[:.]/g, '-')}-${results.mode}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nJSON: ${file}`);
}

let timer: NodeJS.Timeout | undefined;
const deadline = new Promise<never>((_resolve, reject) => {
  timer = setTimeout(() => {
    reject(new Error(`bench: over its ${DEADLINE_MS / 1000} s deadline, stopping`));
  }, DEADLINE_MS);
});
try {
  // On the deadline main's cleanup still runs: the databases stop, and every child exits when its IPC channel closes.
  await Promise.race([main(), deadline]);
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  clearTimeout(timer);
}
