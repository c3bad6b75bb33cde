/**
 * Password hashing off the main thread. bcryptjs is pure JavaScript: one check at cost 12 holds a thread for about
 * 280 ms, so on the event loop a few concurrent logins stall every socket, probe and request of the replica. A small
 * pool of worker threads takes the work; jobs queue in arrival order. Every login, known user or not, costs one job,
 * so the pool keeps the unknown-user timing equal to the wrong-password one.
 */
import { Worker } from 'node:worker_threads';
import bcrypt from 'bcryptjs';

export type PasswordJob =
  | { id: number; op: 'hash'; password: string; rounds: number }
  | { id: number; op: 'compare'; password: string; hash: string };
export type PasswordJobResult = { id: number; value: string | boolean } | { id: number; error: string };

/** What UserRepository needs; the inline one (bcryptjs on the calling thread) serves CLIs and tests. */
export interface PasswordHasher {
  hash(password: string, rounds: number): Promise<string>;
  compare(password: string, hash: string): Promise<boolean>;
  close(): Promise<void>;
}

export const inlinePasswordHasher: PasswordHasher = {
  hash: (password, rounds) => bcrypt.hash(password, rounds),
  compare: (password, hash) => bcrypt.compare(password, hash),
  close: () => Promise.resolve(),
};

interface Pending {
  readonly job: PasswordJob;
  readonly resolve: (value: string | boolean) => void;
  readonly reject: (error: Error) => void;
}

// tsx runs the TypeScript sources (tests, dev); the build runs the compiled JavaScript.
const WORKER_FILE = new URL(
  import.meta.url.endsWith('.ts') ? './password-worker.ts' : './password-worker.js',
  import.meta.url,
);

export class PasswordWorkerPool implements PasswordHasher {
  readonly #size: number;
  readonly #idle: Worker[] = [];
  readonly #busy = new Map<Worker, Pending>();
  readonly #queue: Pending[] = [];
  #started = 0;
  #nextId = 1;
  #closed = false;

  constructor(size: number) {
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`password workers must be >= 1, got ${size}`);
    this.#size = size;
  }

  async hash(password: string, rounds: number): Promise<string> {
    return (await this.#run({ id: this.#nextId++, op: 'hash', password, rounds })) as string;
  }

  async compare(password: string, hash: string): Promise<boolean> {
    return (await this.#run({ id: this.#nextId++, op: 'compare', password, hash })) as boolean;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const pending of this.#queue.splice(0)) pending.reject(new Error('password pool closed'));
    const workers = [...this.#idle.splice(0), ...this.#busy.keys()];
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  #run(job: PasswordJob): Promise<string | boolean> {
    if (this.#closed) return Promise.reject(new Error('password pool closed'));
    return new Promise((resolve, reject) => {
      this.#queue.push({ job, resolve, reject });
      this.#dispatch();
    });
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      const worker = this.#idle.pop() ?? (this.#started < this.#size ? this.#spawn() : undefined);
      if (!worker) return;
      const pending = this.#queue.shift() as Pending;
      this.#busy.set(worker, pending);
      worker.postMessage(pending.job);
    }
  }

  #spawn(): Worker {
    this.#started += 1;
    const worker = new Worker(WORKER_FILE);
    // Idle workers must not keep a finished process alive (close() ends them on shutdown).
    worker.unref();
    worker.on('message', (result: PasswordJobResult) => {
      const pending = this.#busy.get(worker);
      this.#busy.delete(worker);
      if (!this.#closed) this.#idle.push(worker);
      if ('error' in result) pending?.reject(new Error(result.error));
      else pending?.resolve(result.value);
      this.#dispatch();
    });
    const lost = (error: Error) => {
      const pending = this.#busy.get(worker);
      this.#busy.delete(worker);
      const idleAt = this.#idle.indexOf(worker);
      if (idleAt !== -1) this.#idle.splice(idleAt, 1);
      this.#started -= 1;
      pending?.reject(error);
      if (!this.#closed) this.#dispatch();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => {
      if (this.#busy.has(worker) || this.#idle.includes(worker)) lost(new Error(`password worker exited (${code})`));
    });
    return worker;
  }
}
