/** The BUILT server (dist/, as `npm start` runs it) with the benchmark's measurement hooks; configured by env. */
import { installProbe } from './probe-ipc.js';

installProbe();
// A computed specifier: dist/ exists only after `npm run build` (which `npm run bench` runs first).
const main = new URL('../../dist/server/src/main.js', import.meta.url).href;
await import(main);
