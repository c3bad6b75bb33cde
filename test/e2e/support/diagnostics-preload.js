// Loaded into a spawned server by the e2e scenarios (NODE_OPTIONS="--expose-gc --import=<this file>"), never in
// production. On SIGUSR2 it collects garbage and writes what the process itself sees (pid, memory, active handles and
// timers by type) to E2E_DIAGNOSTICS_FILE, so a scenario can compare a baseline with the state after its load.
import { renameSync, writeFileSync } from 'node:fs';

const target = process.env.E2E_DIAGNOSTICS_FILE;

function dump() {
  if (!target) return;
  const gc = /** @type {(() => void) | undefined} */ (globalThis.gc);
  gc?.();
  gc?.();
  /** @type {Record<string, number>} */
  const resources = {};
  for (const type of process.getActiveResourcesInfo()) resources[type] = (resources[type] ?? 0) + 1;
  const memory = process.memoryUsage();
  const processListeners = process.eventNames().reduce((sum, name) => sum + process.listenerCount(name), 0);
  const snapshot = {
    pid: process.pid,
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    heapTotal: memory.heapTotal,
    external: memory.external,
    resources,
    processListeners,
    at: Date.now(),
  };
  writeFileSync(`${target}.tmp`, JSON.stringify(snapshot));
  renameSync(`${target}.tmp`, target);
}

if (target) {
  process.on('SIGUSR2', dump);
  dump();
}
