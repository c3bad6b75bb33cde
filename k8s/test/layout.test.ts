/**
 * k8s/lib has the layout cluster/lib has (cluster/test/layout.test.ts): one folder per construct named after it,
 * `<name>/<name>.ts`, `<name>-props.ts` and `index.ts`, and every construct validates its props before it joins the
 * tree, so a bad value stops `npm run synth` naming the construct and the prop.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from './rendered.js';

const lib = join(repoRoot, 'k8s', 'lib');
const folders = readdirSync(lib)
  .map((name) => join(lib, name))
  .filter((path) => statSync(path).isDirectory());
const sources = readdirSync(lib, { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.ts'))
  .map((file) => join(lib, file));

describe('k8s/lib layout (one shape with cluster/lib)', () => {
  it('finds the construct folders', () => {
    assert.ok(folders.length >= 8, `${folders.length} folders`);
  });

  it('names files after what they hold: no construct.ts or props.ts', () => {
    const generic = sources.filter((file) => ['construct.ts', 'props.ts'].includes(basename(file)));
    assert.deepEqual(
      generic.map((file) => relative(repoRoot, file)),
      [],
    );
  });

  it('gives each folder <folder>.ts, <folder>-props.ts and an index.ts', () => {
    for (const folder of folders) {
      const name = basename(folder);
      const files = readdirSync(folder);
      for (const expected of [`${name}.ts`, `${name}-props.ts`, 'index.ts']) {
        assert.ok(files.includes(expected), `${relative(repoRoot, folder)} has ${expected}`);
      }
    }
  });

  it('validates the props of every construct before it joins the construct tree', () => {
    let constructs = 0;
    for (const file of sources) {
      const text = readFileSync(file, 'utf8');
      for (const [, name, body] of text.matchAll(
        /export class (\w+) extends Construct \{[\s\S]*?constructor\([^)]*\) \{([\s\S]*?)super\(/g,
      )) {
        constructs += 1;
        assert.match(
          body!,
          /\bvalidate(?:Props)?\(/,
          `${name!} (${relative(repoRoot, file)}) validates before super()`,
        );
      }
    }
    assert.ok(constructs >= 9, `${constructs} constructs`);
  });
});
