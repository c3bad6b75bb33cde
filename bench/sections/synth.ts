/** 5. Render and synth: wall time of `npm run synth`, and of `npm run cluster:synth` with its peak memory. */
import { runCommand } from '../lib/processes.js';
import { round } from '../lib/stats.js';

export interface SynthFigures {
  synthSeconds: number;
  clusterSynthSeconds: number;
  clusterSynthPeakMiB: number;
}

/** GNU time's elapsed seconds and peak RSS (KiB) of the command, whose children are counted too. */
async function timed(script: string): Promise<{ seconds: number; peakMiB: number }> {
  const result = await runCommand('/usr/bin/time', ['-f', 'bench-time %e %M', 'npm', 'run', '--silent', script]);
  if (result.code !== 0) throw new Error(`npm run ${script} failed:\n${result.stderr.slice(-2000)}`);
  const match = /bench-time ([\d.]+) (\d+)/.exec(result.stderr);
  return { seconds: Number(match?.[1] ?? NaN), peakMiB: Number(match?.[2] ?? NaN) / 1024 };
}

export async function benchSynth(): Promise<SynthFigures> {
  const synth = await timed('synth');
  const cluster = await timed('cluster:synth');
  return {
    synthSeconds: round(synth.seconds, 2),
    clusterSynthSeconds: round(cluster.seconds, 2),
    clusterSynthPeakMiB: round(cluster.peakMiB, 0),
  };
}
