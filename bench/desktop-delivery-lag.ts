/**
 * `npm run bench`: desktop event delivery lag, from the start of `POST /api/desktop/events` to the `event` frame on a
 * WebSocket, with the client on the same replica as the producer and on another one. Two real server processes on
 * one MariaDB, loopback only. Each figure is printed with its ratio to a baseline measured in the same run: a bare
 * MySQL INSERT + SELECT round trip, the least any durable delivery can cost.
 *
 * Bounded: a fixed number of sequential samples per scenario and an overall deadline.
 */
import { performance } from 'node:perf_hooks';
import { createTestDatabase, type TestDatabase } from '../server/test/support/database.js';
import { provideTestDatabaseServer, type TestDatabaseServer } from '../server/test/support/database-server.js';
import { createUser, login, spawnServer, type SpawnedServer } from '../server/test/support/server.js';
import { DesktopTestClient, desktopToken, postEvent } from '../server/test/desktop/client.js';

const SAMPLES = { baseline: 300, sameReplica: 150, crossReplica: 100 };
const DEADLINE_MS = 180_000;
const POLL_MS = 200;

interface Summary {
  readonly p50: number;
  readonly p99: number;
}

function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (quantile: number) => sorted[Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))] ?? NaN;
  return { p50: at(0.5), p99: at(0.99) };
}

async function measureBaseline(db: TestDatabase): Promise<number[]> {
  await db.pool.query('CREATE TABLE bench_baseline (id INT AUTO_INCREMENT PRIMARY KEY, data TEXT NOT NULL)');
  const samples: number[] = [];
  for (let index = 0; index < SAMPLES.baseline; index += 1) {
    const started = performance.now();
    await db.pool.query('INSERT INTO bench_baseline (data) VALUES (?)', [JSON.stringify({ index })]);
    await db.pool.query('SELECT id, data FROM bench_baseline ORDER BY id DESC LIMIT 1');
    samples.push(performance.now() - started);
  }
  return samples;
}

/**
 * Sequential POST → frame samples: each event is posted once the previous one arrived, after a random pause up to
 * one poll interval, so the posts do not lock onto the phase of the other replica's poll timer.
 */
async function measureDelivery(
  producer: SpawnedServer,
  consumer: SpawnedServer,
  apiToken: string,
  token: string,
  count: number,
): Promise<number[]> {
  const { client, welcome } = await DesktopTestClient.connect(consumer.wsUrl, { token });
  let lastSeq = welcome.lastSeq as number;
  const samples: number[] = [];
  for (let index = 0; index < count; index += 1) {
    await new Promise((resolve) => setTimeout(resolve, Math.random() * POLL_MS));
    const started = performance.now();
    await postEvent(producer.baseUrl, apiToken, 'bench', { index });
    lastSeq += 1;
    await client.eventsThrough(lastSeq);
    samples.push(performance.now() - started);
  }
  await client.close();
  return samples;
}

function row(name: string, summary: Summary, baseline: Summary): string {
  const ratio = (value: number, base: number) => `${(value / base).toFixed(1)}x`;
  return [
    name.padEnd(34),
    `${summary.p50.toFixed(2).padStart(8)} ms`,
    `${summary.p99.toFixed(2).padStart(8)} ms`,
    ratio(summary.p50, baseline.p50).padStart(8),
    ratio(summary.p99, baseline.p99).padStart(8),
  ].join('  ');
}

async function main(): Promise<void> {
  let databaseServer: TestDatabaseServer | undefined;
  const servers: SpawnedServer[] = [];
  let db: TestDatabase | undefined;
  const deadline = setTimeout(() => {
    console.error(`bench: over ${DEADLINE_MS} ms, giving up`);
    process.exit(1);
  }, DEADLINE_MS);
  try {
    databaseServer = await provideTestDatabaseServer();
    if (databaseServer.unavailable) throw new Error(databaseServer.unavailable);
    db = await createTestDatabase();
    // The default poll interval, stated so the printed expectation holds; info logs tell spawnServer the port.
    const env = { ...db.env, DESKTOP_EVENT_POLL_MS: String(POLL_MS) };
    servers.push(await spawnServer(env), await spawnServer(env));
    const [first, second] = servers as [SpawnedServer, SpawnedServer];
    await createUser(db, { username: 'bench', password: 'correct horse battery' });
    const apiToken = await login(first.baseUrl, 'bench', 'correct horse battery');
    const token = await desktopToken(first.baseUrl, apiToken);

    const baseline = summarize(await measureBaseline(db));
    const same = summarize(await measureDelivery(first, first, apiToken, token, SAMPLES.sameReplica));
    const cross = summarize(await measureDelivery(first, second, apiToken, token, SAMPLES.crossReplica));

    console.log('desktop event delivery lag (POST start → event frame received), loopback, MariaDB');
    console.log(['scenario'.padEnd(34), '     p50   ', '     p99   ', 'p50/base', 'p99/base'].join('  '));
    console.log(row(`baseline: INSERT+SELECT (n=${SAMPLES.baseline})`, baseline, baseline));
    console.log(row(`same replica (n=${SAMPLES.sameReplica})`, same, baseline));
    console.log(row(`across replicas (n=${SAMPLES.crossReplica})`, cross, baseline));
    console.log(`across replicas waits for the next poll: about half of DESKTOP_EVENT_POLL_MS=${POLL_MS} on average`);
  } finally {
    for (const server of servers) {
      server.kill('SIGTERM');
      await server.exit;
    }
    await db?.drop();
    await databaseServer?.stop();
    clearTimeout(deadline);
  }
}

await main();
