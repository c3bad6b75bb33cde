/** What one `npm run bench` run measured: printed as a table and written as JSON to bench/results/. */
import type { DeliveryFigures } from '../sections/delivery.js';
import type { HttpFigures } from '../sections/http.js';
import type { LoginFigures } from '../sections/logins.js';
import type { SocketFigures } from '../sections/sockets.js';
import type { SynthFigures } from '../sections/synth.js';

export interface BenchResults {
  mode: 'quick' | 'full';
  startedAt: string;
  seconds: number;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string };
  http?: HttpFigures;
  sockets?: SocketFigures;
  delivery?: Omit<DeliveryFigures, 'users'>;
  logins?: LoginFigures;
  synth?: SynthFigures;
}
