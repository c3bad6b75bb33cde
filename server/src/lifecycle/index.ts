import type { Server } from 'node:http';
import { once } from 'node:events';
import type { Logger } from 'pino';

/** Draining starts at the first shutdown signal and never ends: /ready answers 503 from then on. */
export class Lifecycle {
  #draining = false;

  isDraining(): boolean {
    return this.#draining;
  }

  startDraining(): void {
    this.#draining = true;
  }
}

/**
 * Stops accepting new connections and closes idle keep-alive sockets at once. Returns `finish(graceMs)`, which lets
 * in-flight requests complete for up to `graceMs`, then destroys what is left.
 */
export function stopAccepting(server: Server, logger: Logger): { finish(graceMs: number): Promise<void> } {
  const closed = server.listening ? once(server, 'close').then(() => undefined) : Promise.resolve();
  if (server.listening) server.close();
  server.closeIdleConnections();
  return {
    async finish(graceMs: number) {
      // Keep-alive sockets become idle as their last response ends; close them as they do.
      const sweeper = setInterval(() => {
        server.closeIdleConnections();
      }, 100);
      const finished = await settlesWithin(closed, graceMs);
      clearInterval(sweeper);
      if (finished) return;
      logger.warn({ graceMs }, 'Shutdown grace period over; closing the remaining connections');
      server.closeAllConnections();
      // Upgraded sockets are not HTTP connections any more; their channel closes them. Do not wait forever.
      if (!(await settlesWithin(closed, 1000))) logger.warn('Some sockets were still open after the grace period');
    },
  };
}

/** The promise's value, or `fallback` once `ms` have passed (the promise is not cancelled). */
export async function valueWithin<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => {
      resolve(fallback);
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  return valueWithin(
    promise.then(() => true),
    ms,
    false,
  );
}

export interface Stoppable {
  shutdown(reason: string): Promise<void>;
}

/**
 * SIGTERM/SIGINT → graceful shutdown → exit 0. A hard deadline of `forceMs` after the first signal exits 1 whatever
 * is still pending, so a stuck close can never keep a pod in Terminating.
 */
export function exitOnSignals(
  backend: Stoppable,
  options: { forceMs: number; logger: Logger; afterShutdown?: () => Promise<void>; exit?: (code: number) => void },
): void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      options.logger.warn({ signal }, 'Shutdown already in progress');
      return;
    }
    stopping = true;
    options.logger.info({ signal }, `Received ${signal}; shutting down`);
    setTimeout(() => {
      options.logger.error({ forceMs: options.forceMs }, 'Shutdown did not finish in time; exiting');
      exit(1);
    }, options.forceMs).unref();
    backend
      .shutdown(signal)
      .then(() => options.afterShutdown?.())
      .then(
        () => {
          exit(0);
        },
        (error: unknown) => {
          options.logger.error({ err: error }, 'Shutdown failed');
          exit(1);
        },
      );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
