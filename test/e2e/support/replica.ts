/**
 * A server replica for the e2e scenarios: server/src/main.ts in its own process (spawnServer, as the other process
 * tests run it), with a diagnostics preload that reports the process's own memory, handles and timers on demand.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnServer, type SpawnedServer } from '../../../server/test/support/server.js';
import { sleep, waitUntil } from './wait.js';

const preload = join(import.meta.dirname, 'diagnostics-preload.js');

export interface Diagnostics {
  pid: number;
  rss: number;
  heapUsed: number;
  /** The V8 heap's committed size: pages it keeps after a collection count in RSS without being used. */
  heapTotal: number;
  /** Memory of Buffers and other objects outside the V8 heap. */
  external: number;
  /** process.getActiveResourcesInfo() counted by type (Timeout, TCPSocketWrap, ...). */
  resources: Record<string, number>;
  /** Listeners on the process object (signals, warnings, ...). */
  processListeners: number;
  /** Open file descriptors, from /proc/<pid>/fd. */
  fds: number;
}

export interface StopResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** From SIGTERM to exit. */
  ms: number;
  /** The server said its own force timeout fired (exitOnSignals: "did not finish in time"). */
  forced: boolean;
}

export interface Replica extends SpawnedServer {
  readonly pid: number;
  /** Collects garbage in the replica, then reads its memory, handles, timers and file descriptors. */
  diagnostics(): Promise<Diagnostics>;
  /** SIGTERM, then waits for the exit (the replica's own force timeout bounds it). */
  stop(): Promise<StopResult>;
  /** The exit, if the process has ended (crash detection). */
  exited(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

export async function startReplica(env: Record<string, string>, scratch: string, name: string): Promise<Replica> {
  const diagnosticsFile = join(scratch, `${name}.diagnostics.json`);
  const server = await spawnServer({
    ...env,
    NODE_OPTIONS: `--expose-gc --import=${preload}`,
    E2E_DIAGNOSTICS_FILE: diagnosticsFile,
  });
  const read = () => JSON.parse(readFileSync(diagnosticsFile, 'utf8')) as Omit<Diagnostics, 'fds'>;
  const pid = read().pid;
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void server.exit.then((result) => (exit = result));
  return {
    ...server,
    pid,
    async diagnostics() {
      const before = statSync(diagnosticsFile).mtimeMs;
      server.kill('SIGUSR2');
      await waitUntil(() => statSync(diagnosticsFile).mtimeMs > before, `diagnostics from ${name}`, 10_000);
      await sleep(10);
      return { ...read(), fds: readdirSync(`/proc/${pid}/fd`).length };
    },
    async stop() {
      const started = Date.now();
      if (!exit) server.kill('SIGTERM');
      const result = await server.exit;
      return {
        ...result,
        ms: Date.now() - started,
        forced: /did not finish in time/.test(server.output()),
      };
    },
    exited: () => exit,
  };
}
