/**
 * Measurement hooks for a server under benchmark, over the fork IPC channel: memory after a forced GC (run node with
 * --expose-gc), event-loop delay between two marks, and heap snapshots. Nothing here touches the server's own code.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';

export type ProbeRequest =
  { type: 'memory' } | { type: 'loop-start' } | { type: 'loop-stop' } | { type: 'heap-snapshot'; file: string };
export type ProbeReply =
  | { type: 'memory'; rss: number; heapUsed: number }
  | { type: 'loop'; p50Ms: number; p99Ms: number; maxMs: number }
  | { type: 'heap-snapshot'; file: string };

export function installProbe(): void {
  let loop: ReturnType<typeof monitorEventLoopDelay> | undefined;
  const gc = (globalThis as { gc?: () => void }).gc;
  // A server under benchmark never outlives the benchmark that started it.
  process.on('disconnect', () => process.exit(0));
  process.on('message', (request: ProbeRequest) => {
    if (request.type === 'memory') {
      gc?.();
      gc?.();
      const { rss, heapUsed } = process.memoryUsage();
      process.send?.({ type: 'memory', rss, heapUsed } satisfies ProbeReply);
    } else if (request.type === 'heap-snapshot') {
      gc?.();
      process.send?.({ type: 'heap-snapshot', file: writeHeapSnapshot(request.file) } satisfies ProbeReply);
    } else if (request.type === 'loop-start') {
      loop = monitorEventLoopDelay({ resolution: 1 });
      loop.enable();
    } else if (loop) {
      loop.disable();
      const ms = (ns: number) => ns / 1e6;
      process.send?.({
        type: 'loop',
        p50Ms: ms(loop.percentile(50)),
        p99Ms: ms(loop.percentile(99)),
        maxMs: ms(loop.max),
      } satisfies ProbeReply);
    }
  });
}
