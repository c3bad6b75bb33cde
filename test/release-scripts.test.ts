/**
 * The release and promotion scripts the workflows call, run for real on a throw-away copy of the repository: the pin
 * files they write, the refusals, and the git side (one commit per real change, none when nothing changed, a push that
 * survives main moving underneath, a promotion branch and pull request).
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';

const repoRoot = join(import.meta.dirname, '..');
const SHA_A = 'a'.repeat(40);
const SHA_B = '0123456789abcdef0123456789abcdef01234567';

function run(
  cwd: string,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, GITHUB_OUTPUT: '', ...env } });
}

function ok(result: SpawnSyncReturns<string>): string {
  assert.equal(result.status, 0, `exit ${String(result.status)}\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

const git = (cwd: string, ...args: string[]): string =>
  ok(run(cwd, 'git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args])).trim();

function readTag(dir: string, env: string): string {
  return (JSON.parse(readFileSync(join(dir, 'platform/pins', `${env}.json`), 'utf8')) as { imageTag: string }).imageTag;
}

/** A minimal copy of the repository: platform/, scripts/release/, and `synth` stubbed to render the pins. */
function makeWorkspace(dir: string): void {
  cpSync(join(repoRoot, 'platform'), join(dir, 'platform'), { recursive: true });
  cpSync(join(repoRoot, 'scripts/release'), join(dir, 'scripts/release'), { recursive: true });
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      type: 'module',
      scripts: {
        'release:pin': 'tsx scripts/release/pin-image.ts',
        promote: 'tsx scripts/release/promote.ts',
        synth: 'node render-stub.mjs',
      },
    }),
  );
  // Stands in for `npm run synth`: renders each pin into charts-out/<env>/, as the real render does with the image.
  writeFileSync(
    join(dir, 'render-stub.mjs'),
    `import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
for (const file of readdirSync('platform/pins')) {
  const env = file.replace(/\\.json$/, '');
  const { imageTag } = JSON.parse(readFileSync('platform/pins/' + file, 'utf8'));
  mkdirSync('charts-out/' + env, { recursive: true });
  writeFileSync('charts-out/' + env + '/deployment.yaml', 'image: desktop-backend:' + imageTag + '\\n');
}
`,
  );
  writeFileSync(join(dir, '.gitignore'), 'node_modules\n');
}

describe('release:pin and promote', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'release-pins-'));
    makeWorkspace(dir);
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    cpSync(join(repoRoot, 'platform/pins'), join(dir, 'platform/pins'), { recursive: true });
  });

  it('writes the commit SHA into the staging pin and reports it to the workflow', () => {
    const outputs = join(dir, 'outputs.txt');
    writeFileSync(outputs, '');
    const stdout = ok(
      run(dir, 'npm', ['run', '--silent', 'release:pin', '--', 'staging', SHA_A], { GITHUB_OUTPUT: outputs }),
    );
    assert.match(stdout, new RegExp(`staging: .* -> ${SHA_A}`));
    assert.equal(readTag(dir, 'staging'), SHA_A);
    assert.equal(readTag(dir, 'production'), readTag(repoRoot, 'production'), 'production is untouched');
    assert.equal(readFileSync(outputs, 'utf8'), `tag=${SHA_A}\nchanged=true\n`);
    assert.match(ok(run(dir, 'npm', ['run', '--silent', 'release:pin', '--', 'staging', SHA_A])), /unchanged/);
  });

  for (const [why, env, tag, expected] of [
    ['a moving tag', 'staging', 'latest', /40-hex commit SHA/],
    ['a short SHA', 'staging', SHA_A.slice(0, 12), /40-hex commit SHA/],
    ['a tag with a registry in it', 'staging', `repo:${SHA_A}`, /40-hex commit SHA/],
    ['an unknown environment', 'qa', SHA_A, /unknown environment "qa"/],
  ] as const) {
    it(`refuses ${why} and leaves the pin as it was`, () => {
      const before = readFileSync(join(dir, 'platform/pins/staging.json'), 'utf8');
      const result = run(dir, 'npm', ['run', '--silent', 'release:pin', '--', env, tag]);
      assert.equal(result.status, 1);
      assert.match(result.stderr, expected);
      assert.equal(readFileSync(join(dir, 'platform/pins/staging.json'), 'utf8'), before);
    });
  }

  it('promote copies the staging tag to production', () => {
    ok(run(dir, 'npm', ['run', '--silent', 'release:pin', '--', 'staging', SHA_B]));
    assert.match(ok(run(dir, 'npm', ['run', '--silent', 'promote'])), new RegExp(`production: .* -> ${SHA_B}`));
    assert.equal(readTag(dir, 'production'), SHA_B);
    assert.match(ok(run(dir, 'npm', ['run', '--silent', 'promote'])), /unchanged/);
  });

  it('promote refuses an environment onto itself, an unknown one, and a staging pin holding "latest"', () => {
    assert.match(run(dir, 'npm', ['run', '--silent', 'promote', '--', 'staging', 'staging']).stderr, /onto itself/);
    assert.match(
      run(dir, 'npm', ['run', '--silent', 'promote', '--', 'staging', 'prod']).stderr,
      /unknown environment/,
    );
    writeFileSync(join(dir, 'platform/pins/staging.json'), '{ "imageTag": "latest" }\n');
    const result = run(dir, 'npm', ['run', '--silent', 'promote']);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /immutable docker tag/);
    assert.equal(readTag(dir, 'production'), readTag(repoRoot, 'production'));
  });
});

describe('image-exists.sh (a re-run skips the build instead of failing on an immutable tag)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'image-exists-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the script with an `aws` stand-in that answers like the AWS CLI does in each case. */
  function imageExists(awsScript: string): SpawnSyncReturns<string> {
    writeFileSync(join(dir, 'aws'), `#!/bin/sh\n${awsScript}\n`);
    chmodSync(join(dir, 'aws'), 0o755);
    const script = join(repoRoot, 'scripts/release/image-exists.sh');
    return run(dir, 'bash', [script, 'desktop-backend', SHA_A], { PATH: `${dir}:${process.env.PATH ?? ''}` });
  }

  it('says true when ECR has the tag and false when it does not', () => {
    assert.match(ok(imageExists('echo \'{"imageDetails": []}\'')), /^exists=true$/m);
    const missing =
      'echo "An error occurred (ImageNotFoundException) when calling the DescribeImages operation" >&2; exit 254';
    assert.match(ok(imageExists(missing)), /^exists=false$/m);
  });

  it('fails on any other error rather than rebuilding blind', () => {
    const denied = imageExists('echo "An error occurred (AccessDeniedException)" >&2; exit 254');
    assert.equal(denied.status, 1);
    assert.match(denied.stderr, /AccessDeniedException/);
  });
});

describe('publish-pin.sh and open-promotion-pr.sh against a git remote', () => {
  let root: string;
  let origin: string;
  let clone: string;
  let binDir: string;
  let ghLog: string;

  const mainLog = (): string[] => git(origin, 'log', '--format=%s', 'main').split('\n');

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'release-git-'));
    origin = join(root, 'origin.git');
    const seed = join(root, 'seed');
    mkdirSync(seed);
    makeWorkspace(seed);
    ok(run(seed, 'npm', ['run', '--silent', 'synth']));
    git(seed, 'init', '--quiet', '-b', 'main');
    git(seed, 'add', '.');
    git(seed, 'commit', '--quiet', '-m', 'initial');
    git(root, 'clone', '--quiet', '--bare', seed, origin);
    clone = join(root, 'clone');
    git(root, 'clone', '--quiet', origin, clone);
    symlinkSync(join(repoRoot, 'node_modules'), join(clone, 'node_modules'));
    // A stand-in for the GitHub CLI: records its arguments, knows no open pull request.
    binDir = join(root, 'bin');
    ghLog = join(root, 'gh.log');
    mkdirSync(binDir);
    writeFileSync(join(binDir, 'gh'), `#!/bin/sh\necho "$*" >> '${ghLog}'\n`);
    chmodSync(join(binDir, 'gh'), 0o755);
  });
  after(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('commits the pin and the re-render to main once, and nothing when run again', () => {
    ok(run(clone, 'bash', ['scripts/release/publish-pin.sh', 'staging', SHA_A]));
    assert.equal(mainLog()[0], `release(staging): ${SHA_A}`);
    assert.deepEqual(git(origin, 'show', '--name-only', '--format=', 'main').split('\n').sort(), [
      'charts-out/staging/deployment.yaml',
      'platform/pins/staging.json',
    ]);
    assert.equal(git(origin, 'show', 'main:charts-out/staging/deployment.yaml'), `image: desktop-backend:${SHA_A}`);

    const commits = mainLog().length;
    assert.match(ok(run(clone, 'bash', ['scripts/release/publish-pin.sh', 'staging', SHA_A])), /nothing to commit/);
    assert.equal(mainLog().length, commits, 'no empty commit');
  });

  it('lands on top of commits that reached main while the image was building', () => {
    const other = join(root, 'other');
    git(root, 'clone', '--quiet', origin, other);
    writeFileSync(join(other, 'NOTES.md'), 'merged meanwhile\n');
    git(other, 'add', 'NOTES.md');
    git(other, 'commit', '--quiet', '-m', 'another merge');
    git(other, 'push', '--quiet', 'origin', 'main');

    ok(run(clone, 'bash', ['scripts/release/publish-pin.sh', 'staging', SHA_B]));
    assert.deepEqual(mainLog().slice(0, 2), [`release(staging): ${SHA_B}`, 'another merge']);
  });

  it('opens a promotion pull request from a branch holding the production pin and its render', () => {
    git(clone, 'fetch', '--quiet', 'origin', 'main');
    git(clone, 'checkout', '--quiet', '--detach', 'FETCH_HEAD');
    const path = `${binDir}:${process.env.PATH ?? ''}`;
    ok(run(clone, 'bash', ['scripts/release/open-promotion-pr.sh'], { PATH: path }));

    const branch = `promote/production-${SHA_B.slice(0, 12)}`;
    assert.equal(
      git(origin, 'show', `${branch}:charts-out/production/deployment.yaml`),
      `image: desktop-backend:${SHA_B}`,
    );
    assert.equal(git(origin, 'log', '-1', '--format=%s', branch), `promote(production): ${SHA_B}`);
    assert.equal(mainLog()[0], `release(staging): ${SHA_B}`, 'main itself is not touched');
    const calls = readFileSync(ghLog, 'utf8');
    assert.match(calls, new RegExp(`pr create --base main --head ${branch} --title promote\\(production\\): ${SHA_B}`));
  });

  it('opens nothing when production already runs the staging image', () => {
    git(clone, 'checkout', '--quiet', '--detach', `origin/promote/production-${SHA_B.slice(0, 12)}`);
    writeFileSync(ghLog, '');
    const stdout = ok(
      run(clone, 'bash', ['scripts/release/open-promotion-pr.sh'], { PATH: `${binDir}:${process.env.PATH ?? ''}` }),
    );
    assert.match(stdout, /no pull request needed/);
    assert.equal(readFileSync(ghLog, 'utf8'), '');
  });
});
