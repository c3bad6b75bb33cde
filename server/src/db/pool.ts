import mysql, { type Connection, type Pool } from 'mysql2/promise';
import type { DatabaseConfig } from '../config/index.js';
import { valueWithin } from '../lifecycle/index.js';
import { guardPool } from './guarded-pool.js';
import { tlsOptions } from './tls.js';

export type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';

/**
 * A bounded pool: at most `poolSize` connections, at most `queueLimit` callers waiting for one (beyond that a call
 * fails at once instead of piling up), connect, acquire and statement timeouts, TCP keep-alive and UTC sessions. Use
 * `pool.execute` (prepared statements) for anything that carries a value.
 */
export function createPool(config: DatabaseConfig): Pool {
  const pool = mysql.createPool({
    host: config.host,
    port: config.port,
    user: config.user,
    password: config.password,
    database: config.database,
    connectionLimit: config.poolSize,
    maxIdle: config.poolSize,
    idleTimeout: 60_000,
    queueLimit: config.queueLimit,
    waitForConnections: true,
    connectTimeout: config.connectTimeoutMs,
    ssl: tlsOptions(config),
    enableKeepAlive: true,
    charset: 'UTF8MB4_UNICODE_CI',
    timezone: 'Z',
    // Prepared statements are cached per connection; keep the cache small and bounded.
    maxPreparedStatements: 100,
  });
  // Every session in UTC: DEFAULT CURRENT_TIMESTAMP columns then hold UTC whatever the server's own zone, matching
  // how the driver reads them back (timezone 'Z'). Queued first on each new connection, so it runs before any query.
  pool.on('connection', (connection) => {
    // mysql2 hands the listener its callback-style core connection (the typings say otherwise).
    const core = connection as unknown as {
      query(sql: string, callback: (error: Error | null) => void): unknown;
      destroy(): void;
    };
    core.query("SET time_zone = '+00:00'", (error) => {
      if (error) core.destroy();
    });
  });
  return guardPool(pool, { acquireTimeoutMs: config.acquireTimeoutMs, queryTimeoutMs: config.queryTimeoutMs });
}

/**
 * Readiness pings on one connection of their own, never the pool's: a pool busy with slow queries (every connection
 * taken, callers queued) is not a DB outage, and a 503 then would take every replica out of the ALB at once.
 */
export class DatabaseProbe {
  readonly #config: DatabaseConfig;
  #connection: Promise<Connection> | undefined;
  #inFlight: Promise<boolean> | undefined;

  constructor(config: DatabaseConfig) {
    this.#config = config;
  }

  /** True when the database answers `SELECT 1` within `timeoutMs` (never throws, never waits longer). */
  ping(timeoutMs: number): Promise<boolean> {
    // Concurrent probes share one ping, so they cannot queue up behind each other on the one connection.
    this.#inFlight ??= this.#ping(timeoutMs).finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #ping(timeoutMs: number): Promise<boolean> {
    const answered = (async () => {
      const connection = await (this.#connection ??= this.#connect());
      await connection.query({ sql: 'SELECT 1', timeout: timeoutMs });
      return true;
    })().catch(() => false);
    const ok = await valueWithin(answered, timeoutMs, false);
    // A failed or slow ping may have left the connection broken or stuck: the next ping opens a fresh one.
    if (!ok) this.#discard();
    return ok;
  }

  #connect(): Promise<Connection> {
    const opening = mysql
      .createConnection({
        host: this.#config.host,
        port: this.#config.port,
        user: this.#config.user,
        password: this.#config.password,
        database: this.#config.database,
        connectTimeout: this.#config.connectTimeoutMs,
        ssl: tlsOptions(this.#config),
        enableKeepAlive: true,
      })
      .then((connection) => {
        // A connection lost while idle (the server went away) reports here; unheard, the error would crash the process.
        connection.on('error', () => {
          if (this.#connection === opening) this.#discard();
        });
        return connection;
      });
    return opening;
  }

  #discard(): void {
    const connection = this.#connection;
    this.#connection = undefined;
    void connection?.then(
      (open) => {
        open.destroy();
      },
      () => undefined,
    );
  }

  /** Closes the probe's connection (at shutdown). */
  close(): void {
    this.#discard();
  }
}

export interface PoolStats {
  /** Open connections, busy or idle. */
  open: number;
  idle: number;
  /** Callers waiting for a connection. */
  waiting: number;
  limit: number;
}

interface PoolInternals {
  _allConnections?: { length: number };
  _freeConnections?: { length: number };
  _connectionQueue?: { length: number };
  config?: { connectionLimit?: number };
}

/** mysql2 exposes no public pool figures; read its queues defensively (zeros if the internals change). */
export function poolStats(pool: Pool): PoolStats {
  const internals = (pool as unknown as { pool?: PoolInternals }).pool ?? {};
  return {
    open: internals._allConnections?.length ?? 0,
    idle: internals._freeConnections?.length ?? 0,
    waiting: internals._connectionQueue?.length ?? 0,
    limit: internals.config?.connectionLimit ?? 0,
  };
}
