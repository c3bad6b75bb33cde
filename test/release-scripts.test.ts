/**
 * The release scripts that need no git history: the pin file release:pin writes and its refusals, and image-exists.sh.
 * The git side of releases and promotions is in test/promotion.test.ts.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';

const repoRoot = join(import.meta.dirname, '..');
const SHA_A = 'a'.repeat(40);

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

function readTag(dir: string, env: string): string {
  return (JSON.parse(readFileSync(join(dir, 'platform/pins', `${env}.json`), 'utf8')) as { imageTag: string }).imageTag;
}

/** A minimal copy of the repository for the scripts that need no git and no render: platform/ and scripts/release/. */
function makeWorkspace(dir: string): void {
  cpSync(join(repoRoot, 'platform'), join(dir, 'platform'), { recursive: true });
  cpSync(join(repoRoot, 'scripts/release'), join(dir, 'scripts/release'), { recursive: true });
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ type: 'module', scripts: { 'release:pin': 'tsx scripts/release/pin-image.ts' } }),
  );
}

describe('release:pin', () => {
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

  it('refuses production: it moves only by promotion, image and manifests together', () => {
    const result = run(dir, 'npm', ['run', '--silent', 'release:pin', '--', 'production', SHA_A]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /moves by promotion \(npm run promote\)/);
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
