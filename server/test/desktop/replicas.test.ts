/** Two real server processes on one database: they share nothing else, as replicas behind the ALB. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { createUser, login, spawnServer, type SpawnedServer } from '../support/server.js';
import { DesktopTestClient, desktopToken, postEvent, range, type EventFrame } from './client.js';

const PASSWORD = 'correct horse battery';
const EVENTS_PER_REPLICA = 150;
const PRODUCERS_PER_REPLICA = 6;

describe('desktop events across two server processes', () => {
  let db: TestDatabase;
  let first: SpawnedServer;
  let second: SpawnedServer;
  const spawned: SpawnedServer[] = [];

  before(async () => {
    db = await createTestDatabase();
    // spawnServer waits for the info line that announces the port, so the log level stays at info.
    const env = { ...db.env, DESKTOP_EVENT_POLL_MS: '50' };
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
    await db.drop();
  });

  async function userOn(username: string): Promise<{ apiToken: string; token: string }> {
    await createUser(db, { username, password: PASSWORD });
    const apiToken = await login(first.baseUrl, username, PASSWORD);
    return { apiToken, token: await desktopToken(second.baseUrl, apiToken) };
  }

  it('delivers an event posted on one replica to a client connected to the other', async () => {
    const { apiToken, token } = await userOn('ada');
    const { client } = await DesktopTestClient.connect(second.wsUrl, { token });
    await postEvent(first.baseUrl, apiToken, 'cross', { from: 'first' });
    const [event] = await client.eventsThrough(1);
    assert.deepEqual(event?.data, { from: 'first' });
    await client.close();
  });

  it('gives every client every seq once, in order, under concurrent producers on both replicas', async () => {
    const { apiToken, token } = await userOn('grace');
    const clients = await Promise.all([
      DesktopTestClient.connect(first.wsUrl, { token }),
      DesktopTestClient.connect(second.wsUrl, { token }),
    ]);
    const total = 2 * EVENTS_PER_REPLICA;
    const produce = async (baseUrl: string, producer: number) => {
      const seqs: number[] = [];
      for (let index = producer; index < EVENTS_PER_REPLICA; index += PRODUCERS_PER_REPLICA) {
        seqs.push(await postEvent(baseUrl, apiToken, 'load', { baseUrl, index }));
      }
      return seqs;
    };
    const producers = [first.baseUrl, second.baseUrl].flatMap((baseUrl) =>
      Array.from({ length: PRODUCERS_PER_REPLICA }, (_, producer) => produce(baseUrl, producer)),
    );
    // A third client joins mid-stream and resumes from 0: it must see the same history.
    const late = DesktopTestClient.connect(first.wsUrl, { token, afterSeq: 0 });
    const answered = (await Promise.all(producers)).flat();
    assert.deepEqual(
      answered.sort((a, b) => a - b),
      range(1, total),
    );
    for (const { client } of [...clients, await late]) {
      const events: EventFrame[] = await client.eventsThrough(total);
      assert.deepEqual(
        events.map((event) => event.seq),
        range(1, total),
      );
      await client.close();
    }
  });

  it('resumes on the other replica after a disconnect, nothing lost and nothing twice', async () => {
    const { apiToken, token } = await userOn('linus');
    const before = await DesktopTestClient.connect(first.wsUrl, { token });
    for (let index = 1; index <= 3; index += 1) await postEvent(first.baseUrl, apiToken, 'x', index);
    await before.client.eventsThrough(3);
    await before.client.close();
    for (let index = 4; index <= 8; index += 1) await postEvent(first.baseUrl, apiToken, 'x', index);
    const afterwards = await DesktopTestClient.connect(second.wsUrl, { token, afterSeq: 3 });
    await postEvent(second.baseUrl, apiToken, 'x', 9);
    assert.deepEqual(
      (await afterwards.client.eventsThrough(9)).map((event) => event.seq),
      range(4, 9),
    );
    await afterwards.client.close();
  });

  it('on SIGTERM closes its sockets with 1001 and exits 0, while the other replica carries on', async () => {
    const { apiToken, token } = await userOn('barbara');
    const doomed = await DesktopTestClient.connect(first.wsUrl, { token });
    const survivor = await DesktopTestClient.connect(second.wsUrl, { token });
    first.kill('SIGTERM');
    assert.equal((await doomed.client.waitClosed()).code, 1001);
    assert.equal((await first.exit).code, 0);
    await postEvent(second.baseUrl, apiToken, 'after', 1);
    assert.equal((await survivor.client.eventsThrough(1)).length, 1);
    await survivor.client.close();
  });
});
