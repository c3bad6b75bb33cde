/**
 * The documentation a newcomer reads: every relative link in README.md, RUNBOOK.md and docs/ resolves to a file (and,
 * with a #fragment, to a heading of it), and prose lines stay readable (code blocks and tables excepted).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const repoRoot = join(import.meta.dirname, '..');
const pages = [
  'README.md',
  'RUNBOOK.md',
  ...readdirSync(join(repoRoot, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
  ...(existsSync(join(repoRoot, 'bench/BASELINE.md')) ? ['bench/BASELINE.md'] : []),
];
const MAX_PROSE_LINE = 160;

/** Lines outside fenced code blocks. */
function proseLines(text: string): { line: string; number: number }[] {
  let inFence = false;
  const result: { line: string; number: number }[] = [];
  text.split('\n').forEach((line, index) => {
    if (/^\s*```/.test(line)) inFence = !inFence;
    else if (!inFence) result.push({ line, number: index + 1 });
  });
  return result;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(path: string): Set<string> {
  const text = readFileSync(path, 'utf8');
  return new Set(
    proseLines(text)
      .map(({ line }) => /^#{1,6}\s+(.*)$/.exec(line)?.[1])
      .filter((heading): heading is string => heading !== undefined)
      .map(slug),
  );
}

describe('documentation', () => {
  it('has the pages the README links as its reference', () => {
    for (const page of ['server', 'desktop-protocol', 'cluster', 'delivery', 'testing', 'deploy']) {
      assert.ok(existsSync(join(repoRoot, 'docs', `${page}.md`)), `docs/${page}.md exists`);
    }
  });

  for (const page of pages) {
    it(`${page}: every relative link resolves`, () => {
      const path = join(repoRoot, page);
      const broken: string[] = [];
      for (const { line, number } of proseLines(readFileSync(path, 'utf8'))) {
        for (const match of line.matchAll(/\]\(([^)\s]+)\)/g)) {
          const target = match[1] ?? '';
          if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:
          const [file = '', fragment] = target.split('#');
          const resolved = file === '' ? path : join(dirname(path), file);
          if (!existsSync(resolved)) {
            broken.push(`${page}:${number} → ${target} (no ${relative(repoRoot, resolved)})`);
          } else if (fragment && resolved.endsWith('.md') && !anchorsOf(resolved).has(fragment)) {
            broken.push(`${page}:${number} → ${target} (no heading #${fragment})`);
          }
        }
      }
      assert.deepEqual(broken, []);
    });

    it(`${page}: no prose line over ${MAX_PROSE_LINE} characters`, () => {
      const long = proseLines(readFileSync(join(repoRoot, page), 'utf8'))
        .filter(({ line }) => !line.trimStart().startsWith('|') && line.length > MAX_PROSE_LINE)
        .map(({ number, line }) => `${page}:${number} (${line.length})`);
      assert.deepEqual(long, []);
    });
  }

  it('gives one deploy order: no page tells a newcomer to deploy every stack at once', () => {
    for (const page of pages) {
      const text = readFileSync(join(repoRoot, page), 'utf8');
      assert.ok(
        !/cdk deploy[^\n`]*--all/.test(text.replace(/never `cdk deploy --all`/g, '')),
        `${page} says cdk deploy --all`,
      );
    }
  });

  it('the README stays a front page', () => {
    const lines = readFileSync(join(repoRoot, 'README.md'), 'utf8').split('\n').length;
    assert.ok(lines <= 200, `README.md has ${lines} lines: move reference material to docs/`);
    assert.doesNotMatch(readFileSync(join(repoRoot, 'README.md'), 'utf8'), /<!-- (BEGIN|END) /);
  });
});

describe('the environment variables the server reads', () => {
  it('are each named in the README and described in docs/server.md', async () => {
    const variables = (await import('../server/src/config/variables.js')) as Record<string, unknown>;
    const names = Object.values(variables)
      .filter((value): value is Record<string, unknown> => typeof value === 'object' && value !== null)
      .flatMap((group) => Object.keys(group).filter((key) => /^[A-Z][A-Z0-9_]+$/.test(key)));
    assert.ok(names.length > 30, `found ${names.length} variables`);
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const server = readFileSync(join(repoRoot, 'docs/server.md'), 'utf8');
    assert.deepEqual(
      names.filter((name) => !readme.includes(`\`${name}\``)),
      [],
      'missing from the README',
    );
    assert.deepEqual(
      names.filter((name) => !new RegExp(`^\\|[^|\\n]*\`${name}\``, 'm').test(server)),
      [],
      'missing from the environment table of docs/server.md',
    );
  });
});
