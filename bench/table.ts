/** The one table `npm run bench` prints, with the targets of issue 15 beside the figures. */
import type { BenchResults } from './lib/results.js';

const ratio = (value: number, base: number) => `${(value / base).toFixed(2)}x`;

export function printTable(results: BenchResults): void {
  const rows: [string, string, string][] = [];
  const { http, sockets, delivery, logins, synth } = results;
  if (http) {
    const { A, B } = http.targets;
    for (const [key, target] of Object.entries(http.targets)) {
      rows.push([
        `HTTP ${key} ${target.name}`,
        `${target.requestsPerSecond} req/s, p50 ${target.p50Ms} ms, p99 ${target.p99Ms} ms` +
          (target.errors ? `, ${target.errors} errors` : ''),
        `${ratio(target.requestsPerSecond, A.requestsPerSecond)} of A, ${ratio(target.requestsPerSecond, B.requestsPerSecond)} of B` +
          (key === 'C' ? ' (target >= 0.9x B)' : key === 'D' ? ' (target >= 0.4x B)' : ''),
      ]);
    }
  }
  if (sockets) {
    rows.push([
      `WS open ${sockets.sockets} sockets, 2 replicas`,
      `${sockets.openSeconds} s, ${sockets.failed} failed`,
      'target < 10 s for 10,000, none failed',
    ]);
    rows.push([
      'WS RSS per socket',
      `${sockets.ours.rssKiBPerSocket} KiB (bare ws ${sockets.bare.rssKiBPerSocket} KiB)`,
      `${ratio(sockets.ours.rssKiBPerSocket, sockets.bare.rssKiBPerSocket)} (target <= 1.5x)`,
    ]);
    rows.push([
      'WS live heap per socket (after GC)',
      `${sockets.ours.heapKiBPerSocket} KiB (bare ws ${sockets.bare.heapKiBPerSocket} KiB)`,
      `${ratio(sockets.ours.heapKiBPerSocket, sockets.bare.heapKiBPerSocket)} (target <= 1.5x)`,
    ]);
  }
  for (const scenario of delivery?.scenarios ?? []) {
    const { same, cross } = scenario;
    rows.push([
      `Delivery: ${scenario.name}`,
      `same p50/p99/max ${same.p50Ms}/${same.p99Ms}/${same.maxMs} ms; cross ${cross.p50Ms}/${cross.p99Ms}/${cross.maxMs} ms`,
      `cross/same p99 ${ratio(cross.p99Ms, same.p99Ms)} (target <= 1.5x); ${scenario.delivered}/${scenario.expected} ` +
        `delivered, ${scenario.duplicates} dup, ${scenario.gaps} gaps`,
    ]);
  }
  if (logins) {
    rows.push([
      `Login storm: ${logins.concurrency} clients, cost ${logins.bcryptRounds}, ${logins.seconds} s`,
      `loop delay p50/p99/max ${logins.stormLoop.p50Ms}/${logins.stormLoop.p99Ms}/${logins.stormLoop.maxMs} ms ` +
        `(idle p99 ${logins.idleLoop.p99Ms}); /health p99 ${logins.healthP99Ms} ms`,
      `${logins.logins} logins (p50 ${logins.loginP50Ms} ms), ${logins.desktops} desktops at ${logins.eventsPerSecond} ev/s; target p99 <= 50 ms`,
    ]);
  }
  if (synth) {
    rows.push(['npm run synth', `${synth.synthSeconds} s`, 'target < 3 s']);
    rows.push([
      'npm run cluster:synth',
      `${synth.clusterSynthSeconds} s, peak ${synth.clusterSynthPeakMiB} MiB`,
      'reported',
    ]);
  }
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)));
  const line = (row: string[]) => `| ${row.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join(' | ')} |`;
  console.log(
    `\nbench (${results.mode}, ${results.seconds} s; ${results.machine.cpus} CPUs ${results.machine.cpuModel}, Node ${results.machine.node})`,
  );
  console.log(line(['figure', 'measured', 'against']));
  console.log(`|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}
