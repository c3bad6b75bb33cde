import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { App } from 'aws-cdk-lib';
import { environmentNamed } from '../../platform/environments.js';
import {
  availabilityZonesContextKey,
  cdkJsonPath,
  recordAvailabilityZones,
  recordedAvailabilityZones,
} from '../config/availability-zones.js';
import { ClusterConfigError } from '../config/schema.js';
import { repoRoot } from './support/synth.js';

const production = environmentNamed('production');
const newAccount = { ...production, aws: { account: '222222222222', region: 'ap-southeast-2' } };
const newKey = 'availability-zones:account=222222222222:region=ap-southeast-2';
const scratch = mkdtempSync(join(tmpdir(), 'azs-'));
after(() => {
  rmSync(scratch, { recursive: true, force: true });
});

const cdkContext = (): Record<string, unknown> =>
  (JSON.parse(readFileSync(cdkJsonPath, 'utf8')) as { context: Record<string, unknown> }).context;

describe('availability zones recorded in cdk.json', () => {
  it('names the exact cdk.json key and the command that records it when an account is new', () => {
    assert.equal(availabilityZonesContextKey(newAccount.aws), newKey);
    assert.throws(
      () => recordedAvailabilityZones(new App({ context: cdkContext() }).node, newAccount),
      (error: unknown) => {
        assert.ok(error instanceof ClusterConfigError);
        assert.match(error.message, /environment "production"/);
        assert.ok(error.message.includes(`cdk.json has no context key "${newKey}"`), error.message);
        assert.ok(error.message.includes('npm run cluster:record-azs -- production'), error.message);
        return true;
      },
    );
  });

  it('refuses a record with fewer zones than the environment spans, or a malformed one', () => {
    const app = new App({ context: { [newKey]: ['ap-southeast-2a', 'ap-southeast-2b'] } });
    assert.throws(() => recordedAvailabilityZones(app.node, newAccount), /spans 3 availability zones.*records 2/);
    const bad = new App({ context: { [newKey]: 'ap-southeast-2a' } });
    assert.throws(() => recordedAvailabilityZones(bad.node, newAccount), /must be a list of distinct zone names/);
  });

  it('uses the first zones of the record, as many as the environment spans', () => {
    const staging = environmentNamed('staging');
    const zones = recordedAvailabilityZones(new App({ context: cdkContext() }).node, staging);
    assert.equal(zones.length, staging.availabilityZoneCount);
    assert.deepEqual(zones, (cdkContext()[availabilityZonesContextKey(staging.aws)] as string[]).slice(0, 2));
  });

  it('records zones into cdk.json, keeping every other setting, so the next synthesis finds them', async () => {
    const copy = join(scratch, 'cdk.json');
    copyFileSync(cdkJsonPath, copy);
    await recordAvailabilityZones(copy, newAccount.aws, ['ap-southeast-2c', 'ap-southeast-2a', 'ap-southeast-2b']);
    const written = JSON.parse(readFileSync(copy, 'utf8')) as { app: string; context: Record<string, unknown> };
    assert.deepEqual(written.context[newKey], ['ap-southeast-2a', 'ap-southeast-2b', 'ap-southeast-2c']);
    assert.deepEqual({ ...written.context, [newKey]: undefined }, { ...cdkContext(), [newKey]: undefined });
    const app = new App({ context: written.context });
    assert.equal(recordedAvailabilityZones(app.node, newAccount).length, 3);
  });

  it('stops the synthesis command early, with the message and no cdk.context.json, when the record is missing', () => {
    const context = Object.fromEntries(
      Object.entries(cdkContext()).filter(([key]) => !key.startsWith('availability-zones:')),
    );
    const outdir = join(scratch, 'cdk.out');
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'cluster/bin/app.ts'], {
      cwd: repoRoot,
      encoding: 'utf8',
      // What the cdk CLI hands the app: its context and where to write.
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: outdir },
      timeout: 120_000,
    });
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /cdk\.json has no context key "availability-zones:account=\d{12}:region=[a-z0-9-]+"/);
    assert.match(run.stderr, /npm run cluster:record-azs -- staging/);
    assert.doesNotMatch(run.stderr, /Need to perform AWS calls|\n\s+at /);
    assert.ok(!existsSync(join(outdir, 'manifest.json')), 'nothing synthesized');
    assert.ok(!existsSync(join(repoRoot, 'cdk.context.json')), 'no cdk.context.json left behind');
  });
});

describe('npm run cluster:record-azs where AWS cannot be asked', () => {
  const recordAzs = (args: string[], env: NodeJS.ProcessEnv) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'cluster/bin/record-azs.ts', ...args], {
      cwd: repoRoot,
      encoding: 'utf8',
      env,
      timeout: 60_000,
    });
  const staging = environmentNamed('staging');
  const stagingKey = availabilityZonesContextKey(staging.aws);

  it('without the AWS CLI: says so and names the cdk.json entry to add by hand, with no stack trace', () => {
    const before = readFileSync(cdkJsonPath, 'utf8');
    const run = recordAzs(['staging'], { PATH: join(scratch, 'no-such-dir') });
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /the AWS CLI \(`aws`\) is not installed or not on PATH/);
    assert.ok(run.stderr.includes(`"${stagingKey}": ["eu-west-1a", "eu-west-1b", ...]`), run.stderr);
    assert.ok(run.stderr.includes(`credentials for account ${staging.aws.account}`), run.stderr);
    assert.doesNotMatch(run.stderr, /\n\s+at |node:internal/);
    assert.equal(readFileSync(cdkJsonPath, 'utf8'), before, 'cdk.json untouched');
  });

  it('refuses an unknown environment by listing the known ones', () => {
    const run = recordAzs(['nowhere'], process.env);
    assert.equal(run.status, 2);
    assert.equal(run.stderr.trim(), 'unknown environment "nowhere"; known: staging, production');
  });
});
