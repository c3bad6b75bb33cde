/**
 * The Dockerfile's rules, read from its text (no podman needed, so they run in `npm test`); the image itself is built
 * and run by test/e2e/container.e2e.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { serverContract } from '../platform/server-contract.js';

const repoRoot = join(import.meta.dirname, '..');
const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
const nodeVersion = readFileSync(join(repoRoot, '.nvmrc'), 'utf8').trim();
const baseImage = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1];

describe('Dockerfile rules', () => {
  const instructions = dockerfile
    .replaceAll(/\\\n\s*/g, ' ')
    .split('\n')
    .filter((line) => line.trim() && !line.trim().startsWith('#'));
  const runtimeStage = instructions.slice(instructions.findLastIndex((line) => line.startsWith('FROM ')));

  it('pins the base to an exact Node version (the one in .nvmrc), never a moving tag', () => {
    assert.match(baseImage ?? '', /^docker\.io\/library\/node:\d+\.\d+\.\d+-bookworm-slim(@sha256:[0-9a-f]{64})?$/);
    assert.equal(/node:(\d+\.\d+\.\d+)-/.exec(baseImage ?? '')?.[1], nodeVersion);
    for (const from of instructions.filter((line) => line.startsWith('FROM ')))
      assert.match(from, /^FROM \$\{NODE_IMAGE\}/);
  });

  it('installs from the lockfile, production dependencies only in the runtime image, no cache left behind', () => {
    const runs = instructions.filter((line) => line.startsWith('RUN '));
    assert.ok(
      runs.every((line) => !/npm (install|i)\b/.test(line)),
      'npm ci, never npm install',
    );
    assert.ok(runs.some((line) => /npm ci --omit=dev .*&& npm cache clean --force/.test(line)));
    assert.ok(!runtimeStage.some((line) => /^RUN .*npm (ci|install)/.test(line)), 'no install in the runtime stage');
  });

  it('runs as the numeric non-root user with an exec-form node command and a /health check', () => {
    const { uid, gid, workdir, serverCommand } = serverContract.image;
    assert.ok(runtimeStage.includes(`USER ${uid}:${gid}`));
    assert.ok(runtimeStage.includes(`WORKDIR ${workdir}`));
    assert.ok(runtimeStage.includes(`CMD ${JSON.stringify(serverCommand).replaceAll(',', ', ')}`));
    assert.ok(!runtimeStage.some((line) => line.startsWith('ENTRYPOINT')), 'no wrapper between the runtime and node');
    assert.ok(runtimeStage.includes(`EXPOSE ${serverContract.httpPort} ${serverContract.metricsPort}`));
    assert.ok(
      runtimeStage.some((line) => line.startsWith('HEALTHCHECK') && line.includes(serverContract.paths.liveness)),
    );
    assert.ok(runtimeStage.includes('ENV NODE_ENV=production'));
  });

  it('keeps secrets, git, tests and local tooling out of the build context (.dockerignore allow-list)', () => {
    const ignore = readFileSync(join(repoRoot, '.dockerignore'), 'utf8').split('\n');
    assert.equal(
      ignore.find((line) => line.trim() && !line.startsWith('#')),
      '*',
      'everything is excluded first',
    );
    for (const line of ['**/test/', '**/*.test.ts', '**/.env', '**/.env.*', 'platform/pins/'])
      assert.ok(ignore.includes(line));
    const allowed = ignore.filter((line) => line.startsWith('!')).map((line) => line.slice(1));
    for (const forbidden of ['.git', 'node_modules', '.env', 'cdk.out', '.tools', '.dev', 'charts-out', 'test']) {
      assert.ok(!allowed.some((path) => path.startsWith(forbidden)), `${forbidden} stays out`);
    }
  });
});
