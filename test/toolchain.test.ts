/**
 * Node 24 where it is needed, any Node where it is not: every npm script that needs the project's Node starts with the
 * guard, which stops an older Node at once with a message naming the version and how to get it; the first README
 * command (`npm ci && npm run synth`) stays free of it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

const repoRoot = join(import.meta.dirname, '..');
const guard = 'node scripts/toolchain/require-node.js && ';
const scripts = (
  JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
).scripts;
const nodeMajor = readFileSync(join(repoRoot, '.nvmrc'), 'utf8').trim().split('.')[0]!;
/**
 * Scripts that run on any Node: the render (the first README command), prettier, and what the image build and the
 * image run (the Dockerfile's `npm run build` sees no scripts/ folder: its build context is an allow-list).
 */
const anyNode = new Set(['synth', 'format', 'build', 'start', 'migrate', 'db:provision-users', 'user:create']);

/** Runs the guard as if the running Node were `version`. */
function guardAs(version: string) {
  const pretend = `data:text/javascript,Object.defineProperty(process,'versions',{value:{...process.versions,node:'${version}'}})`;
  return spawnSync(process.execPath, ['--import', pretend, 'scripts/toolchain/require-node.js'], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, npm_lifecycle_event: 'test' },
  });
}

describe('Node version guard', () => {
  it('stops an older Node with a message that names the version and how to get it', () => {
    const result = guardAs('20.20.2');
    assert.equal(result.status, 1);
    assert.match(result.stderr, new RegExp(`"npm run test" needs Node ${nodeMajor} `));
    assert.match(result.stderr, /this shell runs Node 20\.20\.2/);
    assert.match(result.stderr, /bash \.ci\/run/);
    assert.match(result.stderr, new RegExp(`export PATH="\\$PWD/\\.tools/node${nodeMajor}/bin:\\$PATH"`));
  });

  it('lets the project Node through silently', () => {
    const result = guardAs(`${nodeMajor}.0.0`);
    assert.equal(result.status, 0);
    assert.equal(result.stderr, '');
  });

  it('runs first in every npm script that needs the project Node, and not in the render', () => {
    const unguarded = Object.entries(scripts)
      .filter(([name, command]) => !anyNode.has(name) && !command.startsWith(guard))
      .map(([name]) => name);
    assert.deepEqual(unguarded, [], 'scripts without the guard');
    assert.ok(!scripts.synth!.includes('require-node'), 'npm run synth works on any Node from 20');
  });
});
