import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from './support/synth.js';

const lib = join(repoRoot, 'cluster', 'lib');
const sources = readdirSync(lib, { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.ts'))
  .map((file) => join(lib, file));

describe('cluster/lib layout (one shape with k8s/lib)', () => {
  it('names files after what they hold: no construct.ts or props.ts', () => {
    const generic = sources.filter((file) => ['construct.ts', 'props.ts'].includes(basename(file)));
    assert.deepEqual(
      generic.map((file) => relative(repoRoot, file)),
      [],
    );
  });

  it('gives each construct folder <folder>.ts, <folder>-props.ts and an index.ts', () => {
    for (const folder of new Set(sources.map(dirname))) {
      if (folder === lib || folder === join(lib, 'addons') || folder === join(lib, 'alerting')) continue;
      const name = basename(folder);
      const files = readdirSync(folder);
      assert.ok(files.includes(`${name}.ts`), `${relative(repoRoot, folder)} has ${name}.ts`);
      assert.ok(files.includes('index.ts'), `${relative(repoRoot, folder)} has index.ts`);
      // key-grants holds an aspect, not a construct: it has no props.
      if (name !== 'key-grants') {
        assert.ok(files.includes(`${name}-props.ts`), `${relative(repoRoot, folder)} has ${name}-props.ts`);
      }
    }
  });

  it('keeps every cdk-nag acknowledgement in a nag-acknowledgements.ts beside its construct', () => {
    const elsewhere = sources.filter(
      (file) =>
        // The Control Tower (cfn-guard) acknowledgements live in one file by design, not beside constructs.
        !['nag-acknowledgements.ts', 'control-tower-acknowledgements.ts'].includes(basename(file)) &&
        /\.acknowledge\(/.test(readFileSync(file, 'utf8')),
    );
    assert.deepEqual(
      elsewhere.map((file) => relative(repoRoot, file)),
      [],
    );
  });
});
