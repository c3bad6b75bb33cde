import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import type { Pool, ResultSetHeader } from '../db/index.js';
import { HttpError } from '../http/errors.js';

export interface ThrottleOptions {
  /** Names the counter family, e.g. `login-account`; at most 32 ASCII characters. */
  scope: string;
  /** Hits allowed per window; the next one is refused. */
  limit: number;
  windowSeconds: number;
}

export interface ThrottleResult {
  allowed: boolean;
  hits: number;
  limit: number;
  /** Seconds until the current window ends (for Retry-After). */
  retryAfterSeconds: number;
}

/**
 * Fixed-window counters in MySQL, so a limit holds across every replica (they share nothing else). A hit is counted
 * before it is judged, so concurrent requests cannot all slip under the limit.
 */
export class Throttle {
  readonly #pool: Pool;
  readonly options: ThrottleOptions;
  #lastCleanup = 0;

  constructor(pool: Pool, options: ThrottleOptions) {
    if (!/^[\x21-\x7e]{1,32}$/.test(options.scope)) throw new Error(`invalid throttle scope ${options.scope}`);
    this.#pool = pool;
    this.options = options;
  }

  async hit(key: string, now = Date.now()): Promise<ThrottleResult> {
    const { windowSeconds, limit, scope } = this.options;
    const nowSeconds = Math.floor(now / 1000);
    const windowStart = nowSeconds - (nowSeconds % windowSeconds);
    const subject = digest(key);
    // LAST_INSERT_ID(expr) hands this statement's own count back in the OK packet: one atomic round trip, and
    // concurrent hits each see a distinct count (a separate SELECT would see later hits too).
    const [result] = await this.#pool.execute<ResultSetHeader>(
      `INSERT INTO throttle_counters (scope, subject, window_start, hits) VALUES (?, ?, ?, LAST_INSERT_ID(1))
       ON DUPLICATE KEY UPDATE hits = LAST_INSERT_ID(hits + 1)`,
      [scope, subject, windowStart],
    );
    await this.#cleanup(windowStart, now);
    const hits = result.insertId;
    return {
      allowed: hits <= limit,
      hits,
      limit,
      retryAfterSeconds: Math.max(1, windowStart + windowSeconds - nowSeconds),
    };
  }

  /** Forgets the current counts of a key (e.g. an account after a successful login). */
  async reset(key: string): Promise<void> {
    await this.#pool.execute('DELETE FROM throttle_counters WHERE scope = ? AND subject = ?', [
      this.options.scope,
      digest(key),
    ]);
  }

  async #cleanup(currentWindowStart: number, now: number): Promise<void> {
    if (now - this.#lastCleanup < this.options.windowSeconds * 1000) return;
    this.#lastCleanup = now;
    await this.#pool.execute('DELETE FROM throttle_counters WHERE scope = ? AND window_start < ?', [
      this.options.scope,
      currentWindowStart,
    ]);
  }
}

/**
 * The throttle key of a client address: an IPv4 address as is (also when written IPv4-mapped, `::ffff:a.b.c.d`), an
 * IPv6 address by its /64 prefix, the smallest block a client usually holds (one host can use any of 2^64 addresses).
 */
export function clientAddressKey(address: string | undefined): string {
  if (!address) return 'unknown';
  if (isIPv4(address)) return address;
  const groups = ipv6Groups(address);
  if (!groups) return address;
  const [a, b, c, d, e, f, g, h] = groups;
  if (a === 0 && b === 0 && c === 0 && d === 0 && e === 0 && f === 0xffff && g !== undefined && h !== undefined) {
    return [g >> 8, g & 0xff, h >> 8, h & 0xff].join('.');
  }
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address (with `::` and a dotted IPv4 tail expanded), or undefined. */
function ipv6Groups(address: string): number[] | undefined {
  let text = address.split('%')[0] ?? '';
  if (!isIPv6(text)) return undefined;
  const tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (tail) {
    const [p, q, r, t] = tail.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, tail.index)}${((p << 8) | q).toString(16)}:${((r << 8) | t).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const parse = (part: string) => (part ? part.split(':').map((group) => parseInt(group, 16)) : []);
  const front = parse(head);
  const back = rest === undefined ? [] : parse(rest);
  return [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
}

function digest(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** The 429 answer for a refused hit. */
export function tooManyRequests(result: Pick<ThrottleResult, 'retryAfterSeconds'>): HttpError {
  return new HttpError(429, 'too_many_requests', 'Too many attempts; try again later', {
    headers: { 'Retry-After': String(result.retryAfterSeconds) },
  });
}
