import type { UserRepository } from '../auth/index.js';
import type { Logger } from '../log/index.js';
import type { Registry } from 'prom-client';
import { RedisReplicaBus } from './redis-bus.js';

export type { ReplicaBus } from './redis-bus.js';

/**
 * The bus between replicas when REDIS_URL is set, else undefined (replicas then poll only). Account changes made here
 * go out at once, so the other replicas drop their cached user (and close its sockets when disabled) without waiting
 * for USER_CACHE_TTL_MS.
 */
export function createReplicaBus(
  url: string | undefined,
  options: { logger: Logger; registry: Registry; users: UserRepository },
): RedisReplicaBus | undefined {
  if (url === undefined) return undefined;
  const bus = new RedisReplicaBus(url, options);
  options.users.onChanged((change) => {
    bus.publish({ kind: 'user', ...change });
  });
  bus.subscribe((message) => {
    if (message.kind === 'user') options.users.changedElsewhere(message);
  });
  return bus;
}
