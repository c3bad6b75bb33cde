/**
 * The halves of a release and a promotion that hold the release app's token (issue 9 §3: the release job can push
 * only what it must). They run no npm and no code of the repository's render; they take the change the rendering job
 * wrote as untrusted data and must refuse anything outside the paths a release (or a promotion) moves. On a real git
 * repository with a bare "GitHub" remote; `gh` is a stand-in that records its arguments.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';

const repoRoot = join(import.meta.dirname, '..');
const publishRelease = join(repoRoot, 'scripts/release/publish-release.sh');
const publishPromotion = join(repoRoot, 'scripts/release/publish-promotion.sh');
const TAG = 'a'.repeat(40);
const OTHER_TAG = 'b'.repeat(40);

function run(cwd: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env } });
}
function ok(result: SpawnSyncReturns<string>): string {
  assert.equal(result.status, 0, `exit ${String(result.status)}\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}
const git = (cwd: string, ...args: string[]): string =>
  ok(run(cwd, 'git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args])).trim();

function write(dir: string, path: string, content: string): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), content);
}
const pin = (fields: Record<string, string>) => `${JSON.stringify(fields, null, 2)}\n`;

describe('the publishing halves of a release and a promotion', () => {
  let root: string;
  let origin: string;
  let renderer: string; // the rendering job's checkout: it writes the change
  let publisher: string; // the publishing job's checkout: it holds the token
  let change: string;
  let ghLog: string;
  let pathWithGh: string;

  const mainHead = () => git(origin, 'rev-parse', 'main');
  /** A merge to main by someone else, touching `path`. */
  const landOnMain = (path: string) => {
    const other = join(root, `other-${Math.random().toString(36).slice(2)}`);
    git(root, 'clone', '--quiet', origin, other);
    write(other, path, `changed ${path}\n`);
    git(other, 'add', '.');
    git(other, 'commit', '--quiet', '-m', `change ${path}`);
    git(other, 'push', '--quiet', 'origin', 'HEAD:main');
  };
  /** What the rendering job hands over: `edit` applied to main's newest commit, staged, as a patch and its base. */
  const renderChange = (edit: (dir: string) => void) => {
    git(renderer, 'fetch', '--quiet', 'origin', 'main');
    git(renderer, 'checkout', '--quiet', '--detach', 'FETCH_HEAD');
    edit(renderer);
    git(renderer, 'add', '--all');
    rmSync(change, { recursive: true, force: true });
    mkdirSync(change);
    writeFileSync(join(change, 'change.patch'), ok(run(renderer, 'git', ['diff', '--cached', '--binary'])));
    writeFileSync(join(change, 'base'), `${git(renderer, 'rev-parse', 'HEAD')}\n`);
    git(renderer, 'reset', '--quiet', '--hard');
  };
  const release = (edit: (dir: string) => void) => {
    renderChange((dir) => {
      write(dir, 'platform/pins/staging.json', pin({ imageTag: TAG }));
      write(dir, 'charts-out/staging/Rollout.yaml', `image: repo:${TAG}\n`);
      write(dir, 'charts-out/candidates/production/Rollout.yaml', `image: repo:${TAG}\n`);
      edit(dir);
    });
  };
  const publish = (env: NodeJS.ProcessEnv = {}) =>
    run(publisher, 'bash', [publishRelease, 'staging', TAG, change], env);

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'release-publish-'));
    const seed = join(root, 'seed');
    mkdirSync(seed);
    git(seed, 'init', '--quiet', '-b', 'main');
    for (const [path, content] of [
      ['platform/pins/staging.json', pin({ imageTag: 'unreleased' })],
      ['platform/pins/production.json', pin({ imageTag: 'unreleased' })],
      ['charts-out/staging/Rollout.yaml', 'image: repo:unreleased\n'],
      ['charts-out/candidates/production/Rollout.yaml', 'image: repo:unreleased\n'],
      ['charts-out/production/ConfigMap.yaml', 'kind: ConfigMap\n'],
      ['argocd/Application.desktop-backend-production.yaml', 'kind: Application\n'],
      ['argocd/Application.desktop-backend-staging.yaml', 'kind: Application\n'],
      ['k8s/main.ts', '// the render\n'],
      ['docs/delivery.md', '# Delivery\n'],
    ]) {
      write(seed, path!, content!);
    }
    git(seed, 'add', '.');
    git(seed, 'commit', '--quiet', '-m', 'initial');
    origin = join(root, 'origin.git');
    git(root, 'clone', '--quiet', '--bare', seed, origin);
    renderer = join(root, 'renderer');
    publisher = join(root, 'publisher');
    git(root, 'clone', '--quiet', origin, renderer);
    git(root, 'clone', '--quiet', origin, publisher);
    change = join(root, 'change');
    const binDir = join(root, 'bin');
    mkdirSync(binDir);
    ghLog = join(root, 'gh.log');
    writeFileSync(join(binDir, 'gh'), `#!/bin/sh\necho "$*" >> '${ghLog}'\n`);
    chmodSync(join(binDir, 'gh'), 0o755);
    pathWithGh = `${binDir}:${process.env.PATH ?? ''}`;
  });
  after(() => {
    rmSync(root, { recursive: true, force: true });
  });
  beforeEach(() => {
    writeFileSync(ghLog, '');
  });

  /** Exit 2, a message naming the path, main where it was and a clean publishing checkout. */
  const assertRefused = (result: SpawnSyncReturns<string>, before: string, message: RegExp) => {
    assert.equal(result.status, 2, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stderr, message);
    assert.equal(mainHead(), before, 'nothing was pushed');
    assert.equal(git(publisher, 'status', '--porcelain'), '', 'the refused change is not left behind');
  };

  for (const [what, path] of [
    ['an Argo CD Application', 'argocd/Application.desktop-backend-production.yaml'],
    ["production's manifests", 'charts-out/production/ConfigMap.yaml'],
    ["production's pin", 'platform/pins/production.json'],
    ['a workflow', '.github/workflows/release.yml'],
    ['the render code', 'k8s/main.ts'],
  ] as const) {
    it(`refuses a release change that also touches ${what}, and pushes nothing`, () => {
      const before = mainHead();
      release((dir) => {
        write(dir, path, 'tampered\n');
      });
      assertRefused(publish(), before, new RegExp(`refusing to publish: .*\\n {2}${path.replaceAll('.', '\\.')}`));
    });
  }

  it('refuses a symbolic link, even inside charts-out/staging/', () => {
    const before = mainHead();
    release((dir) => {
      symlinkSync(
        '../../argocd/Application.desktop-backend-production.yaml',
        join(dir, 'charts-out/staging/link.yaml'),
      );
    });
    assertRefused(publish(), before, /charts-out\/staging\/link\.yaml/);
  });

  it('refuses a change that pins another image than the one built, and a base main never had', () => {
    const before = mainHead();
    release((dir) => {
      write(dir, 'platform/pins/staging.json', pin({ imageTag: OTHER_TAG }));
    });
    assertRefused(publish(), before, new RegExp(`pins ${OTHER_TAG}, not ${TAG}`));
    release(() => undefined);
    writeFileSync(join(change, 'base'), `${'f'.repeat(40)}\n`);
    assert.equal(publish().status, 2);
    writeFileSync(join(change, 'base'), 'main\n');
    assertRefused(publish(), before, /base is not a full commit SHA/);
  });

  it('publishes an allowed change as the release bot, on top of a move main made in docs only', () => {
    release(() => undefined);
    landOnMain('docs/delivery.md');
    const moved = mainHead();
    const stdout = ok(publish());
    assert.match(stdout, new RegExp(`pushed release\\(staging\\): ${TAG}`));
    assert.equal(git(origin, 'rev-parse', 'main^'), moved);
    assert.equal(git(origin, 'log', '-1', '--format=%s|%an', 'main'), `release(staging): ${TAG}|github-actions[bot]`);
    assert.deepEqual(git(origin, 'diff', '--name-only', moved, 'main').split('\n').sort(), [
      'charts-out/candidates/production/Rollout.yaml',
      'charts-out/staging/Rollout.yaml',
      'platform/pins/staging.json',
    ]);
    renderChange(() => undefined);
    assert.match(ok(publish()), /nothing to publish/);
    assert.equal(git(origin, 'rev-parse', 'main^'), moved, 'an empty change pushes nothing');
  });

  it('does not publish a render that main outdated: render again, or leave it to the newer release run', () => {
    release((dir) => {
      write(dir, 'platform/pins/staging.json', pin({ imageTag: TAG, note: 'second' }));
    });
    landOnMain('k8s/main.ts');
    const before = mainHead();
    const failed = publish();
    assert.equal(failed.status, 3, failed.stderr);
    assert.match(
      failed.stderr,
      /moved while .* was rendered, in paths the render reads: render again\n {2}k8s\/main\.ts/,
    );
    // In the workflow, that merge started a release run of its own, queued behind this one.
    const skipped = publish({ RELEASE_IF_MOVED: 'skip' });
    assert.equal(skipped.status, 0, skipped.stderr);
    assert.match(skipped.stdout, /::notice::.*that merge's own release run pins its image/);
    assert.equal(mainHead(), before);

    // A move in argocd/ starts no release run: skipping would lose this release, so it still fails.
    release((dir) => {
      write(dir, 'platform/pins/staging.json', pin({ imageTag: TAG, note: 'third' }));
    });
    landOnMain('argocd/Application.desktop-backend-production.yaml');
    assert.equal(publish({ RELEASE_IF_MOVED: 'skip' }).status, 3);
  });

  it("refuses a promotion change that touches staging's manifests or Application; opens a pull request for an allowed one", () => {
    const before = mainHead();
    const promote = () =>
      run(publisher, 'bash', [publishPromotion, 'staging', 'production', change], { PATH: pathWithGh });
    const production = (dir: string) => {
      write(dir, 'platform/pins/production.json', pin({ imageTag: TAG, renderedFrom: before }));
      write(dir, 'charts-out/production/Rollout.yaml', `image: repo:${TAG}\n`);
    };
    renderChange((dir) => {
      production(dir);
      write(dir, 'charts-out/staging/Rollout.yaml', 'tampered\n');
    });
    const refused = promote();
    assert.equal(refused.status, 2, refused.stderr);
    assert.match(refused.stderr, /refusing to publish: .*\n {2}charts-out\/staging\/Rollout\.yaml/);
    assert.equal(readFileSync(ghLog, 'utf8'), '', 'no pull request');
    assert.equal(
      run(origin, 'git', ['rev-parse', '--verify', '--quiet', `promote/production-${before.slice(0, 12)}`]).status,
      1,
    );

    renderChange((dir) => {
      production(dir);
      write(dir, 'argocd/Application.desktop-backend-staging.yaml', 'kind: Application\nspec: {}\n');
    });
    const application = promote();
    assert.equal(application.status, 2, application.stderr);
    assert.match(application.stderr, /refusing to publish: .*\n {2}argocd\/Application\.desktop-backend-staging\.yaml/);

    // Production's own Application moves with its manifests (docs/delivery.md, "Promotion").
    renderChange((dir) => {
      production(dir);
      write(dir, 'argocd/Application.desktop-backend-production.yaml', 'kind: Application\nspec: {}\n');
    });
    ok(promote());
    const branch = `promote/production-${before.slice(0, 12)}`;
    assert.equal(git(origin, 'rev-parse', `${branch}^`), before);
    assert.deepEqual(git(origin, 'diff', '--name-only', before, branch).split('\n').sort(), [
      'argocd/Application.desktop-backend-production.yaml',
      'charts-out/production/Rollout.yaml',
      'platform/pins/production.json',
    ]);
    assert.match(readFileSync(ghLog, 'utf8'), new RegExp(`^pr create --base main --head ${branch} `, 'm'));
    assert.equal(mainHead(), before, 'main moves only when the pull request is merged');
  });
});
