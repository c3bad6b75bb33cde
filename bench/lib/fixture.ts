/** The shared setup: a private MariaDB (the tests' helper), a private redis-server, users and their tokens. */
import { createTestDatabase, type TestDatabase } from '../../server/test/support/database.js';
import { provideTestDatabaseServer, type TestDatabaseServer } from '../../server/test/support/database-server.js';
import { startPrivateRedis, type PrivateRedis } from '../../server/test/support/redis-server.js';
import { createUser, login, TEST_JWT_SECRET } from '../../server/test/support/server.js';
import { desktopToken } from '../../server/test/desktop/client.js';
import { startTarget, type Child } from './processes.js';

export const PASSWORD = 'correct horse battery';

export interface Fixture {
  db: TestDatabase;
  redis: PrivateRedis;
  stop(): Promise<void>;
}

export async function createFixture(): Promise<Fixture> {
  const server: TestDatabaseServer = await provideTestDatabaseServer();
  if (server.unavailable) throw new Error(server.unavailable);
  const db = await createTestDatabase();
  const redis = await startPrivateRedis();
  return {
    db,
    redis,
    async stop() {
      await redis.stop();
      await db.drop();
      await server.stop();
    },
  };
}

/** The environment of our server under benchmark: production defaults, limits opened for the load. */
export function serverEnv(fixture: Fixture, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    ...fixture.db.env,
    NODE_ENV: 'test',
    METRICS_PORT: '0',
    JWT_SECRET: TEST_JWT_SECRET,
    BCRYPT_ROUNDS: '4',
    // The production default: one JSON line per API request, written to /dev/null as a log shipper would read it.
    LOG_LEVEL: 'info',
    LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: '100000',
    LOGIN_MAX_ATTEMPTS_PER_IP: '1000000',
    DESKTOP_MAX_SOCKETS_PER_USER: '10000',
    DESKTOP_MAX_SOCKETS_PER_IP: '1000000',
    DESKTOP_MAX_SOCKETS: '1000000',
    DESKTOP_MAX_EVENTS_PER_MINUTE: '1000000',
    REDIS_URL: fixture.redis.url,
    ...overrides,
  };
}

export interface Replica {
  child: Child;
  url: string;
  wsUrl: string;
}

export async function startReplicas(env: Record<string, string>, count: number): Promise<Replica[]> {
  const replicas: Replica[] = [];
  for (let index = 0; index < count; index += 1) {
    const { child, url } = await startTarget('our-server.ts', env);
    replicas.push({ child, url, wsUrl: `${url.replace('http', 'ws')}/ws/desktop` });
  }
  return replicas;
}

export async function stopAll(replicas: readonly { child: Child }[]): Promise<void> {
  await Promise.all(replicas.map((replica) => replica.child.stop()));
}

export interface BenchUser {
  id: number;
  apiToken: string;
  desktopToken: string;
}

/** Users with an API token and a desktop token each, made through the real endpoints of one replica. */
export async function createUsers(fixture: Fixture, baseUrl: string, prefix: string, count: number) {
  const users: BenchUser[] = [];
  for (let index = 0; index < count; index += 1) {
    const username = `${prefix}${index}`;
    const user = await createUser(fixture.db, { username, password: PASSWORD });
    const apiToken = await login(baseUrl, username, PASSWORD);
    users.push({ id: user.id, apiToken, desktopToken: await desktopToken(baseUrl, apiToken) });
  }
  return users;
}
