/**
 * `npm run bench:login`: does a login reveal whether a username exists? Measures `POST /api/login` latency for
 * (a) an existing user with a wrong password and (b) an unknown user, interleaved (a, b, then b, a, ...) so both see
 * the same machine load, against a real server process on loopback and a real MariaDB. Prints the medians and the
 * ratio b/a; (a) is the baseline, measured in the same run. The first attempt of each kind is printed apart (a one-off
 * cost, such as making the dummy hash, would show there).
 *
 * Bounded: ROUNDS pairs at most and an overall deadline. BENCH_ROUNDS and BENCH_BCRYPT_ROUNDS (default 10, the
 * production minimum) override the defaults. Uses TEST_DB_* when set, else starts a private MariaDB.
 */
import { performance } from 'node:perf_hooks';
import { createTestDatabase, type TestDatabase } from '../server/test/support/database.js';
import { provideTestDatabaseServer, type TestDatabaseServer } from '../server/test/support/database-server.js';
import { spawnServer, type SpawnedServer } from '../server/test/support/server.js';
import { UserRepository } from '../server/src/auth/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);
const BCRYPT_ROUNDS = process.env.BENCH_BCRYPT_ROUNDS ?? '10';
const DEADLINE_MS = 120_000;

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? NaN) : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2;
}

/** One login attempt; its latency in ms. Anything but 401 invalid_credentials is a broken measurement. */
async function attempt(server: SpawnedServer, username: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${server.baseUrl}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: 'not-the-password' }),
  });
  const body = await response.text();
  const elapsed = performance.now() - started;
  if (response.status !== 401 || !body.includes('invalid_credentials')) {
    throw new Error(`expected 401 invalid_credentials for ${username}, got ${response.status} ${body}`);
  }
  return elapsed;
}

async function main(): Promise<void> {
  let databaseServer: TestDatabaseServer | undefined;
  let db: TestDatabase | undefined;
  let server: SpawnedServer | undefined;
  try {
    databaseServer = await provideTestDatabaseServer();
    if (databaseServer.unavailable) throw new Error(databaseServer.unavailable);
    db = await createTestDatabase();
    await new UserRepository(db.pool, { bcryptRounds: Number(BCRYPT_ROUNDS) }).create({
      username: 'existing',
      password: 'the-real-password',
      role: 'user',
    });
    server = await spawnServer({
      ...db.env,
      BCRYPT_ROUNDS,
      // The benchmark measures the password check, not the throttle.
      LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: '100000',
      LOGIN_MAX_ATTEMPTS_PER_IP: '1000000',
    });

    // Fresh server: the first attempt of each kind, unknown user first (the order that would expose a lazy dummy).
    const firstUnknown = await attempt(server, 'nobody-first');
    const firstExisting = await attempt(server, 'existing');

    const wrongPassword: number[] = [];
    const unknownUser: number[] = [];
    const deadline = Date.now() + DEADLINE_MS;
    for (let round = 0; round < ROUNDS && Date.now() < deadline; round += 1) {
      // Alternate which kind goes first, so neither always follows the other.
      const order = round % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const);
      for (const kind of order) {
        if (kind === 'a') wrongPassword.push(await attempt(server, 'existing'));
        else unknownUser.push(await attempt(server, `nobody-${round}`));
      }
    }
    const a = median(wrongPassword);
    const b = median(unknownUser);
    const format = (ms: number) => `${ms.toFixed(1)} ms`;
    console.log(`login timing, BCRYPT_ROUNDS=${BCRYPT_ROUNDS}, ${wrongPassword.length} interleaved pairs`);
    console.log(
      `  first attempt after start: unknown user ${format(firstUnknown)}, wrong password ${format(firstExisting)}`,
    );
    console.log(`  (a) wrong password, existing user: median ${format(a)}  (baseline)`);
    console.log(`  (b) unknown user:                  median ${format(b)}`);
    console.log(`  ratio b/a: ${(b / a).toFixed(3)}`);
  } finally {
    server?.kill('SIGTERM');
    if (server) await server.exit;
    await db?.drop();
    await databaseServer?.stop();
  }
}

await main();
