/**
 * Wake-ups between replicas over Redis (or Valkey) pub/sub. They carry no data: MySQL stays the source of truth, and
 * a wake-up only tells the other replicas to look now instead of at their next poll. Pub/sub is at most once, so a
 * lost message costs latency (the poll still finds the event), never an event. While Redis is down nothing queues:
 * publishing is skipped, polling carries delivery alone, and the subscription comes back by itself.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Counter, Gauge, type Registry } from 'prom-client';
import { serverMetricNames } from '../../../platform/metric-names.js';
import { service } from '../../../platform/service.js';
import type { Logger } from '../log/index.js';

/** What a replica tells the others. `events`: new events for a user; `user`: an account change. */
export type ReplicaMessage = { kind: 'events'; userId: number } | { kind: 'user'; userId: number; disabled: boolean };

/** The part of the bus the rest of the server uses; absent when REDIS_URL is not set. */
export interface ReplicaBus {
  publish(message: ReplicaMessage): void;
  /** Messages from the other replicas (never this one's own). Returns unsubscribe. */
  subscribe(listener: (message: ReplicaMessage) => void): () => void;
}

const CHANNEL = `${service.name}:replicas`;
const ERROR_LOG_INTERVAL_MS = 10_000;
const MAX_RECONNECT_DELAY_MS = 2000;

export class RedisReplicaBus implements ReplicaBus {
  readonly #replica = randomUUID();
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #listeners = new Set<(message: ReplicaMessage) => void>();
  readonly #logger: Logger;
  readonly #published: Counter<'kind'>;
  readonly #received: Counter<'kind'>;
  #lastErrorLog = 0;

  constructor(url: string, options: { logger: Logger; registry: Registry }) {
    this.#logger = options.logger;
    const common = {
      lazyConnect: true,
      // Wake-ups are worth nothing late: never queue commands while disconnected, fail them at once.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt: number) => Math.min(attempt * 200, MAX_RECONNECT_DELAY_MS),
    };
    this.#publisher = new Redis(url, { ...common, connectionName: `${service.name}-publish` });
    // The subscriber re-subscribes by itself after a reconnect; its SUBSCRIBE must wait for the connection.
    this.#subscriber = new Redis(url, {
      ...common,
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      connectionName: `${service.name}-subscribe`,
    });
    for (const connection of [this.#publisher, this.#subscriber]) {
      connection.on('error', (error: Error) => {
        this.#logError(error);
      });
    }
    this.#subscriber.on('message', (_channel: string, text: string) => {
      this.#deliver(text);
    });
    const registers = [options.registry];
    this.#published = new Counter({
      name: serverMetricNames.replicaWakeupsPublished,
      help: 'Messages published to the other replicas over Redis, by kind',
      labelNames: ['kind'],
      registers,
    });
    this.#received = new Counter({
      name: serverMetricNames.replicaWakeupsReceived,
      help: 'Messages received from the other replicas over Redis, by kind',
      labelNames: ['kind'],
      registers,
    });
    const connections = [this.#publisher, this.#subscriber];
    new Gauge({
      name: serverMetricNames.replicaBusUp,
      help: '1 while both Redis connections for cross-replica wake-ups are up; 0: delivery relies on polling',
      registers,
      collect() {
        this.set(connections.every((connection) => connection.status === 'ready') ? 1 : 0);
      },
    });
  }

  /** Connects and subscribes; resolves even if Redis is down (the bus keeps retrying in the background). */
  async start(): Promise<void> {
    await Promise.all([
      this.#publisher.connect().catch(() => undefined),
      this.#subscriber.connect().catch(() => undefined),
    ]);
    this.#subscriber.subscribe(CHANNEL).catch((error: unknown) => {
      this.#logError(error);
    });
  }

  publish(message: ReplicaMessage): void {
    if (this.#publisher.status !== 'ready') return;
    this.#publisher.publish(CHANNEL, JSON.stringify({ from: this.#replica, ...message })).then(
      () => {
        this.#published.inc({ kind: message.kind });
      },
      (error: unknown) => {
        this.#logError(error);
      },
    );
  }

  subscribe(listener: (message: ReplicaMessage) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    await Promise.all([
      this.#publisher.quit().catch(() => {
        this.#publisher.disconnect();
      }),
      this.#subscriber.quit().catch(() => {
        this.#subscriber.disconnect();
      }),
    ]);
  }

  #deliver(text: string): void {
    const message = parseMessage(text);
    if (!message || message.from === this.#replica) return;
    this.#received.inc({ kind: message.kind });
    for (const listener of this.#listeners) listener(message);
  }

  #logError(error: unknown): void {
    if (Date.now() - this.#lastErrorLog < ERROR_LOG_INTERVAL_MS) return;
    this.#lastErrorLog = Date.now();
    this.#logger.warn({ err: error }, 'Redis wake-ups unavailable; replicas rely on polling until it is back');
  }
}

/** Only well-formed messages count (anything else on the channel is ignored). */
function parseMessage(text: string): (ReplicaMessage & { from: string }) | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { from, kind, userId, disabled } = value as Record<string, unknown>;
  if (typeof from !== 'string' || !Number.isSafeInteger(userId) || (userId as number) <= 0) return undefined;
  if (kind === 'events') return { from, kind, userId: userId as number };
  if (kind === 'user' && typeof disabled === 'boolean') return { from, kind, userId: userId as number, disabled };
  return undefined;
}
