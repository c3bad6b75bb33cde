/**
 * Bounds on waiting for the database, so a request during an outage fails fast instead of hanging. mysql2's pool
 * waits for a connection without limit, and its own statement `timeout` leaves the stuck connection in the pool.
 */
import type { Pool, PoolConnection } from 'mysql2/promise';
import { ACQUIRE_TIMEOUT, QUERY_TIMEOUT } from './failures.js';

export interface PoolTimeouts {
  /** Longest wait for a pool connection (a free one, or a new one being opened). */
  acquireTimeoutMs: number;
  /** Longest wait for one statement; a connection that overruns it is destroyed. */
  queryTimeoutMs: number;
}

/** Statement methods of a connection that wait for the server. */
const STATEMENTS = ['execute', 'query', 'beginTransaction', 'commit', 'rollback'] as const;

function timeoutError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** Overrides some methods of `target` and binds the rest to it, so the wrapper behaves as the original. */
function withOverrides<T extends object>(target: T, overrides: Record<PropertyKey, unknown>): T {
  return new Proxy(target, {
    get(object, property) {
      if (Object.hasOwn(overrides, property)) return overrides[property];
      const value: unknown = Reflect.get(object, property, object);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(object) : value;
    },
  });
}

/**
 * `getConnection` gives up after `acquireTimeoutMs` (a connection that arrives later goes straight back), and every
 * statement, on the pool or on a connection taken from it, answers within `queryTimeoutMs` or destroys its connection:
 * a database that stopped answering (paused, partitioned) can hold neither requests nor connections.
 */
export function guardPool(pool: Pool, timeouts: PoolTimeouts): Pool {
  const acquire = (): Promise<PoolConnection> =>
    new Promise((resolve, reject) => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        reject(timeoutError(ACQUIRE_TIMEOUT, `no database connection within ${timeouts.acquireTimeoutMs} ms`));
      }, timeouts.acquireTimeoutMs);
      pool.getConnection().then(
        (connection) => {
          clearTimeout(timer);
          if (timedOut) connection.release();
          else resolve(connection);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });

  /** Runs `method` on the connection; past the deadline the connection is destroyed and the call fails. */
  const within = async (connection: PoolConnection, method: string, args: unknown[]): Promise<unknown> => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        connection.destroy();
        reject(timeoutError(QUERY_TIMEOUT, `the database did not answer within ${timeouts.queryTimeoutMs} ms`));
      }, timeouts.queryTimeoutMs);
    });
    try {
      const call = (connection as unknown as Record<string, (...callArgs: unknown[]) => Promise<unknown>>)[method];
      const run = (call as (...callArgs: unknown[]) => Promise<unknown>).apply(connection, args);
      // Once the deadline has answered, a late failure of the abandoned statement has nobody to report to.
      run.catch(() => undefined);
      return await Promise.race([run, deadline]);
    } finally {
      clearTimeout(timer);
    }
  };

  const guardConnection = (connection: PoolConnection): PoolConnection =>
    withOverrides(
      connection,
      Object.fromEntries(
        STATEMENTS.map((method) => [method, (...args: unknown[]) => within(connection, method, args)]),
      ),
    );

  /** One statement on a connection of its own, released afterwards (a destroyed one has left the pool already). */
  const pooled =
    (method: 'execute' | 'query') =>
    async (...args: unknown[]): Promise<unknown> => {
      const connection = await acquire();
      try {
        return await within(connection, method, args);
      } finally {
        connection.release();
      }
    };

  return withOverrides(pool, {
    getConnection: () => acquire().then(guardConnection),
    execute: pooled('execute'),
    query: pooled('query'),
  });
}
