/**
 * CPU profile of authenticated `GET /api/me`: the built server under `node --cpu-prof`, driven by `wrk` with a valid
 * bearer token; prints the top self-time frames. Usage: `npm run bench:profile-api-me [-- seconds]`.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createFixture, serverEnv } from './lib/fixture.js';
import { createFixtureUserToken } from './sections/http-user.js';
import { Child, freePort, repositoryRoot } from './lib/processes.js';
import { wrk } from './lib/wrk.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
}

const seconds = Number(process.argv[2] ?? 10);
const fixture = await createFixture();
const profileDir = mkdtempSync(join(tmpdir(), 'api-me-profile-'));
const port = await freePort();
const child = new Child(
  fork(resolve(repositoryRoot, 'bench/targets/our-server.ts'), [], {
    cwd: repositoryRoot,
    execArgv: ['--import', 'tsx', '--cpu-prof', `--cpu-prof-dir=${profileDir}`],
    env: { PATH: process.env.PATH ?? '', ...serverEnv(fixture), PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  }),
);
const url = `http://127.0.0.1:${port}`;
try {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    if (
      await fetch(`${url}/health`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await new Promise((wait) => setTimeout(wait, 100));
  }
  const token = await createFixtureUserToken(fixture, url);
  const result = await wrk(`${url}/api/me`, {
    connections: 50,
    seconds,
    headers: { Authorization: `Bearer ${token}` },
  });
  console.log(
    `wrk: ${result.requestsPerSecond.toFixed(0)} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, errors ${result.errors}`,
  );
} finally {
  await child.stop();
  await fixture.stop();
}

const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
if (!file) throw new Error(`no profile written in ${profileDir}`);
const profile = JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfSamples = new Map<string, number>();
for (const id of profile.samples) {
  const frame = byId.get(id)?.callFrame;
  const key = frame
    ? `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(dist|perf2)\//, '')}:${frame.lineNumber + 1}`
    : '?';
  selfSamples.set(key, (selfSamples.get(key) ?? 0) + 1);
}
const total = profile.samples.length;
console.log(`profile: ${join(profileDir, file)} (${total} samples)`);
for (const [key, count] of [...selfSamples].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
  console.log(`${((100 * count) / total).toFixed(1).padStart(5)}%  ${key}`);
}
