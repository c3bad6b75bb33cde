/**
 * The promotion model of docs/delivery.md, run for real: a copy of this repository in a real git repository with a
 * bare "GitHub" remote, the real `npm run synth`, the real release and promotion scripts (only `gh` is a stand-in
 * that records its arguments). Merges are made the way GitHub makes them, with a merge commit.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';

const repoRoot = join(import.meta.dirname, '..');
const SHA_A = 'a'.repeat(40);
const SHA_B = '0123456789abcdef0123456789abcdef01234567';
const SHA_C = 'c'.repeat(40);
const runnableKinds = new Set(['Deployment', 'Rollout', 'Job', 'CronJob', 'Pod', 'StatefulSet', 'DaemonSet']);
const unreleasedPin = '{\n  "imageTag": "unreleased"\n}\n';

function run(cwd: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, GITHUB_OUTPUT: '', ...env } });
}
function ok(result: SpawnSyncReturns<string>): string {
  assert.equal(result.status, 0, `exit ${String(result.status)}\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}
const git = (cwd: string, ...args: string[]): string =>
  ok(run(cwd, 'git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args])).trim();

/** Every file under a folder of a commit, path → content. */
function treeAt(cwd: string, ref: string, folder: string): Map<string, string> {
  const paths = git(cwd, 'ls-tree', '-r', '--name-only', ref, '--', `${folder}/`).split('\n').filter(Boolean);
  return new Map(paths.map((path) => [path.slice(folder.length + 1), git(cwd, 'show', `${ref}:${path}`)]));
}
const productionApp = 'argocd/Application.desktop-backend-production.yaml';
const stagingApp = 'argocd/Application.desktop-backend-staging.yaml';
const candidateApp = `charts-out/candidates/${productionApp}`;
/** The retry limit an Application file sets: what the tests' k8s/ edits of the Application change. */
function retryLimit(cwd: string, ref: string, path: string): number {
  const match = /^ {6}limit: (\d+)$/m.exec(git(cwd, 'show', `${ref}:${path}`));
  assert.ok(match, `${ref}:${path} sets a retry limit`);
  return Number(match[1]);
}
/** Edits the retry limit every Application gets (k8s/lib/argocd-application): a k8s/ change of the Application. */
function setRetryLimit(cwd: string, from: number, to: number): void {
  const file = join(cwd, 'k8s/lib/argocd-application/argocd-application.ts');
  const code = readFileSync(file, 'utf8');
  assert.ok(code.includes(`{ limit: ${from}, backoff`), 'the k8s/ edit this test makes still applies');
  writeFileSync(file, code.replace(`{ limit: ${from}, backoff`, `{ limit: ${to}, backoff`));
}
function changedPaths(cwd: string, from: string, to: string): string[] {
  return git(cwd, 'diff', '--name-only', from, to).split('\n').filter(Boolean);
}
function kindsIn(files: Map<string, string>): string[] {
  return [...files.values()].flatMap((text) =>
    parseAllDocuments(text).map((doc) => (doc.toJS() as { kind: string }).kind),
  );
}
function imagesIn(files: Map<string, string>): string[] {
  return [...[...files.values()].join('\n').matchAll(/image: (\S+)/g)].map(([, image]) => image!);
}

describe('the committed repository', () => {
  it('renders nothing Argo CD would run for an environment whose pin is unreleased', () => {
    for (const env of ['staging', 'production']) {
      const pin = JSON.parse(readFileSync(join(repoRoot, 'platform/pins', `${env}.json`), 'utf8')) as {
        imageTag: string;
      };
      if (pin.imageTag !== 'unreleased') continue;
      const files = treeAt(repoRoot, 'HEAD', `charts-out/${env}`);
      assert.deepEqual(kindsIn(files), ['ConfigMap'], `charts-out/${env} holds only the unreleased placeholder`);
      assert.deepEqual(imagesIn(files), []);
    }
  });
});

describe('promotion on a real git repository', () => {
  let root: string;
  let origin: string;
  let dev: string; // a developer's clone and the workflows' checkout
  let ghLog: string;
  let pathWithGh: string;
  let fixRelease: string;

  const mainHead = () => git(origin, 'rev-parse', 'main');
  const synth = (cwd: string) => ok(run(cwd, 'npm', ['run', '--silent', 'synth']));
  const sync = () => {
    git(dev, 'fetch', '--quiet', 'origin');
    git(dev, 'checkout', '--quiet', '--detach', 'origin/main');
  };
  /** Merges a pushed branch into main as GitHub's merge button does. */
  const mergeOnGitHub = (branch: string): string => {
    sync();
    git(dev, 'merge', '--quiet', '--no-ff', '-m', `Merge ${branch}`, `origin/${branch}`);
    git(dev, 'push', '--quiet', 'origin', 'HEAD:main');
    return mainHead();
  };
  const driftFree = (cwd: string) => {
    synth(cwd);
    assert.equal(
      git(cwd, 'status', '--porcelain', '--', 'charts-out', 'argocd', 'platform'),
      '',
      'synth is drift-free',
    );
  };
  const openPromotion = (...args: string[]) =>
    ok(run(dev, 'bash', ['scripts/release/open-promotion-pr.sh', ...args], { PATH: pathWithGh }));

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'promotion-'));
    const seed = join(root, 'seed');
    const files = git(repoRoot, 'ls-files', '--cached', '--others', '--exclude-standard').split('\n');
    const rendered = /^(charts-out|argocd)\/|^node_modules$/;
    for (const file of files.filter((path) => path && !rendered.test(path))) {
      mkdirSync(dirname(join(seed, file)), { recursive: true });
      cpSync(join(repoRoot, file), join(seed, file));
    }
    for (const env of ['staging', 'production']) {
      writeFileSync(join(seed, 'platform/pins', `${env}.json`), unreleasedPin);
    }
    git(seed, 'init', '--quiet', '-b', 'main');
    // The shared install, linked: .gitignore's node_modules/ matches a folder, not this link.
    const linkNodeModules = (dir: string) => {
      symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
      writeFileSync(join(dir, '.git/info/exclude'), '/node_modules\n');
    };
    linkNodeModules(seed);
    synth(seed);
    git(seed, 'add', '.');
    git(seed, 'commit', '--quiet', '-m', 'initial');
    origin = join(root, 'origin.git');
    git(root, 'clone', '--quiet', '--bare', seed, origin);
    dev = join(root, 'dev');
    git(root, 'clone', '--quiet', origin, dev);
    linkNodeModules(dev);
    const binDir = join(root, 'bin');
    ghLog = join(root, 'gh.log');
    mkdirSync(binDir);
    writeFileSync(join(binDir, 'gh'), `#!/bin/sh\necho "$*" >> '${ghLog}'\n`);
    chmodSync(join(binDir, 'gh'), 0o755);
    pathWithGh = `${binDir}:${process.env.PATH ?? ''}`;
  });
  after(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('renders nothing Argo CD would run while no image is released, and refuses to promote nothing', () => {
    for (const env of ['staging', 'production']) {
      const files = treeAt(origin, 'main', `charts-out/${env}`);
      assert.deepEqual(kindsIn(files), ['ConfigMap'], `${env} holds only the unreleased placeholder`);
      assert.deepEqual(imagesIn(files), [], `${env} names no image`);
    }
    // The candidates are rendered for review (with the tag "unreleased"), but Argo CD does not read them: production's,
    // and staging's own until its first release.
    assert.ok(kindsIn(treeAt(origin, 'main', 'charts-out/candidates/production')).includes('Job'));
    assert.ok(kindsIn(treeAt(origin, 'main', 'charts-out/candidates/staging')).includes('Rollout'));
    const refused = run(dev, 'npm', ['run', '--silent', 'promote']);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /staging had no released image at [0-9a-f]{40}: nothing to promote yet/);
  });

  it('a release moves staging and the production candidate, never production', () => {
    const before = mainHead();
    ok(run(dev, 'bash', ['scripts/release/publish-pin.sh', 'staging', SHA_A]));
    assert.equal(git(origin, 'log', '-1', '--format=%s', 'main'), `release(staging): ${SHA_A}`);
    const changed = changedPaths(origin, before, 'main');
    assert.ok(changed.includes('platform/pins/staging.json'));
    for (const path of changed)
      assert.match(path, /^(charts-out\/(staging|candidates)\/|platform\/pins\/staging\.json$)/);
    const staging = treeAt(origin, 'main', 'charts-out/staging');
    assert.ok(
      kindsIn(staging).some((kind) => runnableKinds.has(kind)),
      'staging now runs the server',
    );
    assert.ok(imagesIn(staging).every((image) => image.endsWith(`:${SHA_A}`)) && imagesIn(staging).length > 0);
    assert.deepEqual(kindsIn(treeAt(origin, 'main', 'charts-out/production')), ['ConfigMap']);
    assert.equal(treeAt(origin, 'main', 'charts-out/candidates/staging').size, 0, "staging's preview is gone");
    const again = ok(run(dev, 'bash', ['scripts/release/publish-pin.sh', 'staging', SHA_A]));
    assert.match(again, /nothing to commit/);
  });

  it('promotion opens one pull request moving the production pin and its rendered manifests together', () => {
    sync();
    const base = mainHead();
    writeFileSync(ghLog, '');
    openPromotion();
    const branch = `promote/production-${base.slice(0, 12)}`;
    assert.deepEqual(
      changedPaths(origin, base, branch).filter((path) => !path.startsWith('charts-out/production/')),
      ['platform/pins/production.json'],
    );
    const pin = JSON.parse(git(origin, 'show', `${branch}:platform/pins/production.json`)) as Record<string, string>;
    assert.deepEqual(pin, { imageTag: SHA_A, renderedFrom: base });
    assert.deepEqual(
      treeAt(origin, branch, 'charts-out/production'),
      treeAt(origin, base, 'charts-out/candidates/production'),
    );
    assert.equal(git(origin, 'show', `${branch}:${productionApp}`), git(origin, 'show', `${base}:${candidateApp}`));
    const calls = readFileSync(ghLog, 'utf8');
    assert.equal(calls.match(/^pr create /gm)?.length, 1, 'one pull request');
    assert.match(calls, new RegExp(`pr create --base main --head ${branch} --title promote\\(production\\): `));

    mergeOnGitHub(branch);
    assert.ok(imagesIn(treeAt(origin, 'main', 'charts-out/production')).every((i) => i.endsWith(`:${SHA_A}`)));
    driftFree(dev);
    writeFileSync(ghLog, '');
    assert.match(openPromotion(), /no pull request needed/);
    assert.equal(readFileSync(ghLog, 'utf8'), '');
  });

  it('a change in k8s/ reaches staging and the candidate only; once promoted, everything moves', () => {
    sync();
    const productionBefore = treeAt(origin, 'main', 'charts-out/production');
    const applicationBefore = git(origin, 'show', `main:${productionApp}`);
    const labels = join(dev, 'k8s/lib/labels.ts');
    const code = readFileSync(labels, 'utf8');
    assert.ok(code.includes("[labelKeys.managedBy]: 'cdk8s',"), 'the k8s/ edit this test makes still applies');
    writeFileSync(labels, code.replace("[labelKeys.managedBy]: 'cdk8s',", "[labelKeys.managedBy]: 'cdk8s-next',"));
    // The same change also edits what the Applications say (their sync retries): production's must wait too.
    setRetryLimit(dev, 5, 6);
    synth(dev);
    git(dev, 'checkout', '--quiet', '-b', 'feature');
    git(dev, 'commit', '--quiet', '-am', 'k8s: a manifest change');
    git(dev, 'push', '--quiet', 'origin', 'feature');
    const merged = mergeOnGitHub('feature');
    assert.match(git(origin, 'show', `${merged}:charts-out/staging/Service.desktop-backend.yaml`), /cdk8s-next/);
    assert.match(
      git(origin, 'show', `${merged}:charts-out/candidates/production/Service.desktop-backend.yaml`),
      /cdk8s-next/,
    );
    assert.deepEqual(treeAt(origin, merged, 'charts-out/production'), productionBefore, 'production unchanged');
    assert.equal(retryLimit(origin, merged, stagingApp), 6, "staging's Application follows main");
    assert.equal(retryLimit(origin, merged, candidateApp), 6);
    assert.equal(
      git(origin, 'show', `${merged}:${productionApp}`),
      applicationBefore,
      "production's Application waits",
    );

    ok(run(dev, 'bash', ['scripts/release/publish-pin.sh', 'staging', SHA_B]));
    assert.deepEqual(treeAt(origin, 'main', 'charts-out/production'), productionBefore, 'a release leaves it too');
    assert.equal(git(origin, 'show', `main:${productionApp}`), applicationBefore);
    sync();
    const released = mainHead();
    openPromotion();
    const promoted = mergeOnGitHub(`promote/production-${released.slice(0, 12)}`);
    const production = treeAt(origin, promoted, 'charts-out/production');
    assert.match(production.get('Service.desktop-backend.yaml')!, /cdk8s-next/);
    assert.ok(imagesIn(production).every((image) => image.endsWith(`:${SHA_B}`)));
    assert.deepEqual(production, treeAt(origin, promoted, 'charts-out/candidates/production'));
    assert.equal(retryLimit(origin, promoted, productionApp), 6, "production's Application moved with its manifests");
    assert.deepEqual(
      changedPaths(origin, `${promoted}^1`, promoted).filter((path) => path.startsWith('argocd/')),
      [productionApp],
    );
    driftFree(dev);
  });

  it('rolling back is a revert of the promotion pull request', () => {
    sync();
    const promotionMerge = mainHead();
    const beforePromotion = git(origin, 'rev-parse', `${promotionMerge}^1`);
    git(dev, 'revert', '--no-edit', '-m', '1', 'HEAD');
    git(dev, 'push', '--quiet', 'origin', 'HEAD:main');
    assert.deepEqual(
      treeAt(origin, 'main', 'charts-out/production'),
      treeAt(origin, beforePromotion, 'charts-out/production'),
    );
    assert.ok(imagesIn(treeAt(origin, 'main', 'charts-out/production')).every((i) => i.endsWith(`:${SHA_A}`)));
    assert.equal(
      git(origin, 'show', `main:${productionApp}`),
      git(origin, 'show', `${beforePromotion}:${productionApp}`),
    );
    driftFree(dev);
  });

  it('hotfix path: promotes the commit staging ran the fix at, without a later unready change', () => {
    ok(run(dev, 'bash', ['scripts/release/publish-pin.sh', 'staging', SHA_C]));
    fixRelease = mainHead();
    sync();
    const labels = join(dev, 'k8s/lib/labels.ts');
    writeFileSync(labels, readFileSync(labels, 'utf8').replace("'cdk8s-next'", "'cdk8s-unready'"));
    setRetryLimit(dev, 6, 7);
    synth(dev);
    git(dev, 'checkout', '--quiet', '-b', 'unready');
    git(dev, 'commit', '--quiet', '-am', 'k8s: not ready for production');
    git(dev, 'push', '--quiet', 'origin', 'unready');
    mergeOnGitHub('unready');

    sync();
    // Locally, npm run promote alone leaves the pin and its render, and nothing else, ready to commit.
    ok(run(dev, 'npm', ['run', '--silent', 'promote', '--', '--commit', fixRelease]));
    const local = [
      ...git(dev, 'diff', '--name-only').split('\n'),
      ...git(dev, 'ls-files', '--others', '--exclude-standard').split('\n'),
    ].filter(Boolean);
    assert.ok(local.includes('platform/pins/production.json'), local.join('\n'));
    assert.ok(local.includes(productionApp), local.join('\n'));
    for (const path of local) {
      assert.match(
        path,
        /^(platform\/pins\/production\.json|charts-out\/production\/|argocd\/Application\.desktop-backend-production\.yaml$)/,
      );
    }
    const promotedDiff = git(dev, 'diff');
    synth(dev);
    assert.equal(git(dev, 'diff'), promotedDiff, 'synth keeps what promote rendered');
    git(dev, 'checkout', '--quiet', '--', '.');
    git(dev, 'clean', '--quiet', '-fd', '--', 'charts-out');
    openPromotion('staging', 'production', fixRelease);
    const branch = `promote/production-${fixRelease.slice(0, 12)}`;
    const production = treeAt(origin, branch, 'charts-out/production');
    assert.deepEqual(production, treeAt(origin, fixRelease, 'charts-out/candidates/production'));
    assert.ok(imagesIn(production).every((image) => image.endsWith(`:${SHA_C}`)));
    assert.doesNotMatch([...production.values()].join('\n'), /cdk8s-unready/);
    assert.equal(retryLimit(origin, branch, productionApp), 6, 'the Application of the fix, not the unready one');
    assert.equal(retryLimit(origin, branch, stagingApp), 7);

    git(dev, 'checkout', '--quiet', '-b', 'side', 'origin/main');
    writeFileSync(join(dev, 'NOTES.md'), 'never merged\n');
    git(dev, 'add', 'NOTES.md');
    git(dev, 'commit', '--quiet', '-m', 'side');
    const side = git(dev, 'rev-parse', 'HEAD');
    sync();
    const refused = run(dev, 'npm', ['run', '--silent', 'promote', '--', 'staging', 'production', '--commit', side]);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /not part of this branch's history/);
  });

  it("a change of production's Application alone is promoted like any other, and only by a promotion", () => {
    sync();
    openPromotion();
    mergeOnGitHub(`promote/production-${mainHead().slice(0, 12)}`);
    const manifests = treeAt(origin, 'main', 'charts-out/production');
    assert.equal(retryLimit(origin, 'main', productionApp), 7);

    setRetryLimit(dev, 7, 8);
    synth(dev);
    git(dev, 'checkout', '--quiet', '-b', 'application-only');
    git(dev, 'commit', '--quiet', '-am', 'k8s: more sync retries');
    git(dev, 'push', '--quiet', 'origin', 'application-only');
    const merged = mergeOnGitHub('application-only');
    assert.equal(retryLimit(origin, merged, stagingApp), 8);
    assert.equal(retryLimit(origin, merged, productionApp), 7, 'production waits for a promotion');

    // Same image, same manifests: the Application alone still makes a promotion.
    writeFileSync(ghLog, '');
    openPromotion();
    assert.equal(readFileSync(ghLog, 'utf8').match(/^pr create /gm)?.length, 1);
    const branch = `promote/production-${merged.slice(0, 12)}`;
    assert.deepEqual(changedPaths(origin, merged, branch).sort(), [productionApp, 'platform/pins/production.json']);
    const promoted = mergeOnGitHub(branch);
    assert.equal(retryLimit(origin, promoted, productionApp), 8);
    assert.deepEqual(treeAt(origin, promoted, 'charts-out/production'), manifests);
    driftFree(dev);
  });

  it('refuses a hand-edited production pin, and a release that would change production', () => {
    sync();
    const pinFile = join(dev, 'platform/pins/production.json');
    const pin = JSON.parse(readFileSync(pinFile, 'utf8')) as { imageTag: string; renderedFrom: string };
    writeFileSync(pinFile, JSON.stringify({ ...pin, imageTag: SHA_B }));
    const edited = run(dev, 'npm', ['run', '--silent', 'synth']);
    assert.notEqual(edited.status, 0);
    assert.match(edited.stderr, /names image 0123456789ab.* but staging ran c{40} at/);

    // A commit this clone lacks (a shallow CI checkout): the error says how to get it.
    writeFileSync(pinFile, JSON.stringify({ imageTag: SHA_A, renderedFrom: 'f'.repeat(40) }));
    const shallow = run(dev, 'npm', ['run', '--silent', 'synth']);
    assert.notEqual(shallow.status, 0);
    assert.match(shallow.stderr, /which this clone does not have: fetch the history \(git fetch --unshallow\)/);

    // main holds a production pin moved by hand, consistent but without its render.
    writeFileSync(pinFile, JSON.stringify({ imageTag: SHA_C, renderedFrom: fixRelease }));
    git(dev, 'commit', '--quiet', '-am', 'hand-edited production pin');
    git(dev, 'push', '--quiet', 'origin', 'HEAD:main');
    const before = mainHead();
    const release = run(dev, 'bash', ['scripts/release/publish-pin.sh', 'staging', SHA_A]);
    assert.equal(release.status, 2, release.stderr);
    assert.match(release.stderr, /refusing to commit: the render changed paths outside/);
    assert.match(release.stderr, /charts-out\/production\//);
    assert.equal(mainHead(), before, 'nothing pushed');
  });
});
