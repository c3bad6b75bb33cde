/**
 * .github/CODEOWNERS must cover every path whose change widens what Argo CD may deploy, changes how changes are
 * released, or changes what production runs (issue 9 §3), and leave what only reaches staging to ordinary review.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gitRepository } from '../platform/environments.js';

const repoRoot = join(import.meta.dirname, '..');
const rules = readFileSync(join(repoRoot, '.github/CODEOWNERS'), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'))
  .map((line) => {
    const [pattern, ...owners] = line.split(/\s+/);
    return { pattern: pattern!, owners };
  });

/** The owners of a path: the last matching rule (CODEOWNERS semantics), for the anchored patterns this file uses. */
function ownersOf(path: string): string[] {
  let owners: string[] = [];
  for (const rule of rules) {
    assert.ok(rule.pattern.startsWith('/'), `${rule.pattern}: anchored at the repository root`);
    const pattern = rule.pattern.slice(1);
    const matches = pattern.endsWith('/') ? `${path}/`.startsWith(pattern) : path === pattern;
    if (matches) owners = rule.owners;
  }
  return owners;
}

const org = gitRepository.slug.split('/')[0]!;
const admins = `@${org}/platform-admins`;

describe('CODEOWNERS', () => {
  for (const path of [
    'argocd/Application.desktop-backend-production.yaml',
    'cluster/lib/addons/argocd.ts',
    'platform/service-project.ts',
    'platform/environments.ts',
    '.github/workflows/release.yml',
    '.github/CODEOWNERS',
    '.ci/run',
    'scripts/release/publish-pin.sh',
    'k8s/release/synthesize.ts',
    'k8s/main.ts',
  ]) {
    it(`gives ${path} to the platform admins`, () => {
      assert.deepEqual(ownersOf(path), [admins]);
    });
  }

  for (const path of ['charts-out/production/Ingress.desktop-backend.yaml', 'platform/pins/production.json']) {
    it(`lets release managers (or platform admins) approve ${path}, what production runs`, () => {
      assert.deepEqual(ownersOf(path).sort(), [`@${org}/release-managers`, admins].sort());
    });
  }

  for (const path of ['server/src/app.ts', 'k8s/lib/labels.ts', 'charts-out/staging/Service.desktop-backend.yaml']) {
    it(`leaves ${path} to an ordinary review: it reaches staging only until promoted`, () => {
      assert.deepEqual(ownersOf(path), []);
    });
  }
});
