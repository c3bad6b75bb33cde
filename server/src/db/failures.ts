/**
 * Database failures a client can do nothing about, told apart from bugs: they answer 503 with Retry-After instead of
 * 500, so a database outage or a saturated pool never fires the error-ratio alert as a server defect would, and
 * clients know to come back.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { serverMetricNames } from '../../../platform/metric-names.js';

export type DatabaseFailure = 'unavailable' | 'busy';

/** Thrown by the guarded pool when no connection came free within the acquire timeout. */
export const ACQUIRE_TIMEOUT = 'DB_ACQUIRE_TIMEOUT';
/** Thrown by the guarded pool when a statement did not answer within the query timeout. */
export const QUERY_TIMEOUT = 'DB_QUERY_TIMEOUT';

/** The server is gone, refuses us, or cannot be reached: connection-level failures, never SQL mistakes. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'HANDSHAKE_NO_SSL_SUPPORT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_ACCESS_DENIED_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_OPTION_PREVENTS_STATEMENT',
  'ER_QUERY_INTERRUPTED',
  QUERY_TIMEOUT,
]);
/** The database answers, but not now: our pool or the server's locks are saturated. */
const BUSY_CODES = new Set(['ER_LOCK_WAIT_TIMEOUT', 'ER_LOCK_DEADLOCK', ACQUIRE_TIMEOUT]);

/** mysql2's pool errors carry no code, only these messages. */
const BUSY_MESSAGES = new Set(['Queue limit reached.']);
const UNAVAILABLE_MESSAGES = new Set(['Pool is closed.']);

/** Which kind of database failure `error` (or an error in its `cause` chain) is, if any. */
export function classifyDatabaseFailure(error: unknown): DatabaseFailure | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    const { code, message, fatal } = current as { code?: unknown; message?: unknown; fatal?: unknown };
    if (typeof code === 'string' && BUSY_CODES.has(code)) return 'busy';
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return 'unavailable';
    if (typeof message === 'string' && BUSY_MESSAGES.has(message)) return 'busy';
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.has(message)) return 'unavailable';
    // mysql2 marks every error that broke the connection as fatal.
    if (fatal === true) return 'unavailable';
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Seconds a client should wait: an outage or failover lasts longer than a burst of load. */
export const RETRY_AFTER_SECONDS: Record<DatabaseFailure, number> = { unavailable: 5, busy: 1 };

export interface DatabaseMetrics {
  /** Requests answered 503 because of the database, by `reason` (unavailable, busy). */
  failures: Counter<'reason'>;
}

/**
 * `db_request_failures_total{reason}` and `db_up` (1 when the database answers a ping at scrape time). `db_up` is what
 * a "database down" alert reads now that the readiness probe no longer fails during an outage.
 */
export function registerDatabaseMetrics(registry: Registry, ping: () => Promise<boolean>): DatabaseMetrics {
  const failures = new Counter({
    name: serverMetricNames.dbRequestFailures,
    help: 'Requests answered 503 because the database was unavailable or its pool was saturated',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  for (const reason of ['unavailable', 'busy'] as const) failures.inc({ reason }, 0);
  new Gauge({
    name: serverMetricNames.dbUp,
    help: 'Whether the database answered a ping at scrape time (1) or not (0)',
    registers: [registry],
    async collect() {
      this.set((await ping()) ? 1 : 0);
    },
  });
  return { failures };
}
