/**
 * Users as authentication sees them, cached per replica for a bounded time so an authenticated request does not cost a
 * database round trip every time. Staleness is bounded: an entry is used for at most `ttlMs` after the query that
 * filled it started, changes made through this replica's UserRepository drop the entry at once, and other replicas
 * drop theirs when told (Redis, see UserChangeFeed) or when the entry expires.
 */
export interface UserCacheOptions {
  /** How long an entry may be used; 0 turns the cache off. */
  readonly ttlMs: number;
  /** Entries kept at most; the oldest go first. */
  readonly maxEntries: number;
}

interface Entry<T> {
  readonly value: Promise<T>;
  readonly expiresAt: number;
}

export class UserCache<T> {
  readonly #entries = new Map<number, Entry<T>>();

  constructor(
    private readonly load: (id: number) => Promise<T>,
    private readonly options: UserCacheOptions,
  ) {}

  /** The cached value, or a fresh load; concurrent misses for one id share one query. */
  get(id: number): Promise<T> {
    if (this.options.ttlMs <= 0) return this.load(id);
    const now = performance.now();
    const cached = this.#entries.get(id);
    if (cached && cached.expiresAt > now) return cached.value;
    const entry: Entry<T> = { value: this.load(id), expiresAt: now + this.options.ttlMs };
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    // A failed load is not remembered (the next request asks again).
    entry.value.catch(() => {
      if (this.#entries.get(id) === entry) this.#entries.delete(id);
    });
    if (this.#entries.size > this.options.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    return entry.value;
  }

  /**
   * Forgets an id: the next `get` queries again. A load already in flight is not stored either (its entry is the
   * one removed here), so an answer read before the change is never kept after it.
   */
  invalidate(id: number): void {
    this.#entries.delete(id);
  }

  clear(): void {
    this.#entries.clear();
  }
}
