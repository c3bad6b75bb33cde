/**
 * A newcomer types the documentation's commands literally: every npm script, workflow and stack they name must exist,
 * and docs/deploy.md, read top to bottom, must set each shell variable before a command reads it.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { environments } from '../platform/environments.js';
import { service } from '../platform/service.js';

const repoRoot = join(import.meta.dirname, '..');
const pages = ['README.md', 'RUNBOOK.md', ...readdirSync(join(repoRoot, 'docs')).map((name) => `docs/${name}`)].filter(
  (page) => page.endsWith('.md'),
);
const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');
const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
const deployGuide = read('docs/deploy.md');

/** The bash blocks of a page, in order, continuation lines joined. */
function bashBlocks(text: string): string[] {
  return [...text.matchAll(/```bash\n([\s\S]*?)```/g)].map(([, body]) => body!.replaceAll(/\\\n\s*/g, ' '));
}

describe('commands the documentation names', () => {
  it('names only npm scripts package.json has', () => {
    let checked = 0;
    for (const page of pages) {
      for (const [, name] of read(page).matchAll(/npm run (?:-s |--silent )?([\w:-]+)/g)) {
        assert.ok(name! in scripts, `${page}: npm run ${name!} is not in package.json`);
        checked += 1;
      }
    }
    assert.ok(checked > 20, `${checked} npm run commands`);
  });

  it('runs only workflows that exist and can be started by hand', () => {
    let checked = 0;
    for (const page of pages) {
      for (const [, file] of read(page).matchAll(/gh workflow run ([\w.-]+)/g)) {
        const workflow = parse(read(`.github/workflows/${file!}`)) as { on: Record<string, unknown> };
        assert.ok('workflow_dispatch' in workflow.on, `${page}: ${file!} has no workflow_dispatch`);
        checked += 1;
      }
    }
    assert.ok(checked >= 2);
  });

  it('deploys and destroys only stacks the CDK app defines, one at a time', () => {
    const stacks = new Set([`${service.name}-delivery`, ...environments.map((env) => `${service.name}-${env.name}`)]);
    let checked = 0;
    for (const page of pages) {
      for (const [line] of read(page).matchAll(/npx cdk (?:deploy|destroy)[^\n`]*/g)) {
        const stack = /\s([a-z][\w-]*)\s*$/.exec(line.replaceAll("'", ' '))?.[1];
        assert.ok(stack && stacks.has(stack), `${page}: "${line}" names no stack of the app`);
        checked += 1;
      }
    }
    assert.ok(checked >= 4);
  });
});

describe('docs/deploy.md, followed literally', () => {
  it('sets every shell variable before a command reads it', () => {
    const set = new Set(['PATH', 'PWD', 'HOME']);
    const unset: string[] = [];
    for (const block of bashBlocks(deployGuide)) {
      const code = block
        .split('\n')
        .map((line) => line.replace(/\s#\s.*$/, ''))
        .join('\n')
        // Single-quoted text is not expanded ($url in a jq filter is jq's), and may span lines.
        .replaceAll(/'[^']*'/g, "''");
      for (const line of code.split('\n')) {
        for (const [, name] of line.matchAll(/\$\{?([A-Za-z_]\w*)/g)) {
          if (!set.has(name!)) unset.push(`${name!} in: ${line.trim()}`);
        }
        for (const [, name] of line.matchAll(/(?:^|[\s;(])([A-Z_][A-Z0-9_]*)=/g)) set.add(name!);
        for (const [, name] of line.matchAll(/\bread\s+-[a-z]+(?:\s+'')?\s+([A-Z_][A-Z0-9_]*)/g)) set.add(name!);
      }
    }
    assert.deepEqual(unset, []);
    assert.ok(set.has('ACCOUNT') && set.has('ADMIN_ROLE_ARN'), 'the parser still reads the guide');
  });

  it('has the steps the release workflow sends a new repository to', () => {
    const release = read('.github/workflows/release.yml');
    const steps = [...release.matchAll(/::error::.*docs\/deploy\.md, step (\d+)/g)].map(([, step]) => step!);
    assert.deepEqual(steps, ['3', '4']);
    assert.match(deployGuide, /^## 3\. The delivery stack$/m);
    assert.match(deployGuide, /^## 4\. GitHub settings$/m);
    assert.match(deployGuide, /`gh variable list` shows `AWS_RELEASE_ROLE_ARN`/);
    assert.match(deployGuide, /`RELEASE_APP_CLIENT_ID`/);
  });
});
