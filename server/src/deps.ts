import type { Registry } from 'prom-client';
import type { UserRepository } from './auth/users.js';
import type { TokenService } from './auth/tokens.js';
import type { Config } from './config/index.js';
import type { Pool } from './db/index.js';
import type { Logger } from './log/index.js';
import type { ReplicaBus } from './replicas/redis-bus.js';

/** What a backend is made of; handed to every channel factory. */
export interface BackendDeps {
  config: Config;
  logger: Logger;
  pool: Pool;
  /** This backend's metrics registry (not prom-client's global one). */
  registry: Registry;
  tokens: TokenService;
  users: UserRepository;
  lifecycle: { isDraining(): boolean };
  /** Wake-ups to and from the other replicas (REDIS_URL); undefined when replicas only poll. */
  replicas: ReplicaBus | undefined;
}
