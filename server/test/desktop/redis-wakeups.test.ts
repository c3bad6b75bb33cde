/**
 * Cross-replica wake-ups over a real, private redis-server: two server processes on one database. Redis carries
 * wake-ups only, so stopping it must cost latency and nothing else (the poll finds every event), and starting it
 * again must bring the push back by itself. Push is told from poll by the replicas' own counters, not by timing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis-server.js';
import { createUser, login, spawnServer, type SpawnedServer } from '../support/server.js';
import { DesktopTestClient, desktopToken, eventually, metricValue, postEvent, range } from './client.js';

const PASSWORD = 'correct horse battery';

describe('desktop wake-ups across replicas through Redis', () => {
  let db: TestDatabase;
  let redis: PrivateRedis;
  let first: SpawnedServer;
  let second: SpawnedServer;
  const spawned: SpawnedServer[] = [];

  before(async () => {
    db = await createTestDatabase();
    redis = await startPrivateRedis();
    // A slow poll, and a user cache far longer than any wait here: only Redis can make things quick.
    const env = { ...db.env, REDIS_URL: redis.url, DESKTOP_EVENT_POLL_MS: '1000', USER_CACHE_TTL_MS: '60000' };
    first = await spawnServer(env);
    spawned.push(first);
    second = await spawnServer(env);
    spawned.push(second);
  });
  after(async () => {
    for (const server of spawned) {
      server.kill('SIGKILL');
      await server.exit;
    }
    await redis.stop();
    await db.drop();
  });

  const busUp = async (server: SpawnedServer) => (await metricValue(server.metricsUrl, 'replica_bus_up')) === 1;
  const wakeupsReceived = (server: SpawnedServer) =>
    metricValue(server.metricsUrl, 'replica_wakeups_received_total{kind="events"}');

  it('pushes while Redis is up, falls back to polling while it is down, and pushes again when it is back', async () => {
    await createUser(db, { username: 'pushed', password: PASSWORD });
    const apiToken = await login(first.baseUrl, 'pushed', PASSWORD);
    const { client } = await DesktopTestClient.connect(second.wsUrl, {
      token: await desktopToken(first.baseUrl, apiToken),
    });
    await eventually(async () => (await busUp(first)) && (await busUp(second)), 'both replicas on Redis');

    await postEvent(first.baseUrl, apiToken, 'up', 1);
    const seqs = (await client.eventsThrough(1)).map((event) => event.seq);
    await eventually(async () => (await wakeupsReceived(second)) >= 1, 'the wake-up to reach the other replica');

    await redis.stop();
    await eventually(async () => !(await busUp(first)) && !(await busUp(second)), 'both replicas to see Redis gone');
    const pushedBefore = await wakeupsReceived(second);
    for (let index = 2; index <= 4; index += 1) await postEvent(first.baseUrl, apiToken, 'down', index);
    seqs.push(...(await client.eventsThrough(4)).map((event) => event.seq));
    assert.equal(await wakeupsReceived(second), pushedBefore, 'nothing was pushed while Redis was down');

    await redis.start();
    await eventually(async () => (await busUp(first)) && (await busUp(second)), 'both replicas back on Redis');
    for (let index = 5; index <= 7; index += 1) await postEvent(first.baseUrl, apiToken, 'back', index);
    seqs.push(...(await client.eventsThrough(7)).map((event) => event.seq));
    await eventually(async () => (await wakeupsReceived(second)) >= pushedBefore + 3, 'push to resume');

    assert.deepEqual(seqs, range(1, 7), 'every event once, in order');
    await client.close();
  });

  it('tells the other replica at once when a user is disabled, well inside USER_CACHE_TTL_MS', async () => {
    await createUser(db, { username: 'bus-admin', password: PASSWORD, role: 'admin' });
    const user = await createUser(db, { username: 'bus-user', password: PASSWORD });
    const adminToken = await login(first.baseUrl, 'bus-admin', PASSWORD);
    const token = await login(first.baseUrl, 'bus-user', PASSWORD);
    const me = async () => {
      const response = await fetch(`${second.baseUrl}/api/me`, { headers: { authorization: `Bearer ${token}` } });
      await response.body?.cancel();
      return response.status;
    };
    assert.equal(await me(), 200);
    const disabled = await fetch(`${first.baseUrl}/api/users/${user.id}/disable`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}` },
    });
    assert.equal(disabled.status, 200);
    await eventually(async () => (await me()) === 401, 'the other replica to refuse the disabled user');
  });
});
