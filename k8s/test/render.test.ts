import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { gitRepository } from '../../platform/environments.js';
import { serverContract } from '../../platform/server-contract.js';
import { serverEnvironment } from '../charts/environment-chart.js';
import { checkDatabaseSettings, checkServerSettings } from '../lib/server-settings.js';
import { environments, readTree, renderRoot, renderedFiles, repoRoot } from './rendered.js';

const renderedDirs = [gitRepository.chartsDir, gitRepository.argocdDir];

describe('npm run synth', () => {
  it('reproduces the committed charts-out/ and argocd/ byte for byte (run `npm run synth` and commit on failure)', async () => {
    // What `npm run synth` writes from this repository's pins and history (k8s/release/synthesize.ts).
    const { synthesize } = await import('../release/synthesize.js');
    const synthRoot = mkdtempSync(join(tmpdir(), 'k8s-synth-'));
    synthesize(synthRoot, { repoDir: repoRoot });
    for (const dir of renderedDirs) {
      const committed = readTree(repoRoot, dir);
      const fresh = readTree(synthRoot, dir);
      assert.deepEqual([...committed.keys()], [...fresh.keys()], `files in ${dir}/ differ from a fresh render`);
      for (const [path, text] of fresh) assert.equal(committed.get(path), text, `${path} differs from a fresh render`);
    }
  });

  it('renders the same bytes twice (no timestamps, no random names)', async () => {
    const { render } = await import('../render.js');
    const secondRoot = mkdtempSync(join(tmpdir(), 'k8s-render-again-'));
    render(secondRoot);
    for (const dir of renderedDirs) assert.deepEqual(readTree(secondRoot, dir), readTree(renderRoot, dir));
  });

  it('renders a new environment and its Application from one more entry', async () => {
    const { render } = await import('../render.js');
    const base = environments[0]!;
    const demo = { ...base, name: 'demo', namespace: 'desktop-backend-demo', host: 'desktop.demo.example.com' };
    const root = mkdtempSync(join(tmpdir(), 'k8s-render-demo-'));
    render(root, [...environments, demo], () => 'abc1234');
    const files = readTree(root, '.');
    assert.ok(files.get('charts-out/demo/Rollout.desktop-backend.yaml')?.includes(':abc1234'));
    assert.ok(files.get('argocd/Application.desktop-backend-demo.yaml')?.includes('path: charts-out/demo'));
  });

  it('writes one folder per environment and nothing else under charts-out/', () => {
    const folders = new Set(
      renderedFiles
        .filter((file) => file.path.startsWith(`${gitRepository.chartsDir}/`))
        .map((file) => file.path.split('/')[1]),
    );
    assert.deepEqual([...folders].sort(), environments.map((env) => env.name).sort());
  });

  it('writes one object per file, named <Kind>.<name>.yaml after it, with no generated hashes or cdk8s labels', () => {
    for (const file of renderedFiles) {
      assert.equal(file.objects.length, 1, file.path);
      const object = file.objects[0]!;
      assert.equal(file.path.split('/').at(-1), `${object.kind}.${object.metadata.name}.yaml`);
      assert.match(object.metadata.name, /^[a-z]+(-[a-z]+)*$/, `${file.path}: a readable name without hashes`);
      assert.doesNotMatch(JSON.stringify(object), /cdk8s\.io/, `${file.path} carries a cdk8s-generated label`);
    }
  });

  it('refuses a cdk8s CLI output folder other than charts-out/ instead of writing where the CLI does not look', () => {
    // The real entry point, as `cdk8s synth --output elsewhere` runs it: it must fail before rendering anything.
    const elsewhere = mkdtempSync(join(tmpdir(), 'k8s-cli-out-'));
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'k8s/main.ts')], {
      cwd: repoRoot,
      env: { ...process.env, CDK8S_OUTDIR: elsewhere },
      encoding: 'utf8',
    });
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /always renders into .*charts-out.*--output and --stdout are not supported/s);
  });

  it('accepts the cdk8s CLI output folder cdk8s.yaml names (charts-out/), relative to where the CLI runs', async () => {
    const { checkCliOutputDir } = await import('../render.js');
    assert.doesNotThrow(() => {
      checkCliOutputDir(repoRoot, undefined);
    });
    assert.doesNotThrow(() => {
      checkCliOutputDir(repoRoot, gitRepository.chartsDir, repoRoot);
    });
    assert.doesNotThrow(() => {
      checkCliOutputDir(repoRoot, join(repoRoot, gitRepository.chartsDir), '/');
    });
    assert.throws(() => {
      checkCliOutputDir(repoRoot, 'dist', repoRoot);
    });
    const config = readFileSync(join(repoRoot, 'cdk8s.yaml'), 'utf8');
    assert.match(config, new RegExp(`^output: ${gitRepository.chartsDir}$`, 'm'));
  });
});

describe('server settings at render time', () => {
  it("fails the render, naming the variable, when the server's own schema refuses a rendered setting", () => {
    assert.throws(() => {
      checkServerSettings('staging: the server', {
        ...serverEnvironment(environments[0]!, serverContract),
        DB_POOL_SIZE: 'ten',
      });
    }, /staging: the server: the server would refuse[\s\S]*DB_POOL_SIZE/);
    assert.throws(() => {
      checkDatabaseSettings('staging: the migration Job', { NODE_ENV: 'production', DB_TLS: 'off' });
    }, /DB_TLS/);
  });

  it('accepts what the charts render', () => {
    for (const env of environments) {
      assert.doesNotThrow(() => {
        checkServerSettings(env.name, serverEnvironment(env, serverContract));
      });
    }
  });
});
