import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { controlTowerAcknowledgements } from '../lib/control-tower-acknowledgements.js';
import { repoRoot, synthesizeCluster, validationFindings, type SynthesizedCluster } from './support/synth.js';

const guardRules = join(repoRoot, 'node_modules', '@cdklabs', 'cdk-validator-cfnguard', 'rules', 'control-tower');
const ruleText = readdirSync(guardRules, { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.guard'))
  .map((file) => readFileSync(join(guardRules, file), 'utf8'))
  .join('\n');

const scratch: string[] = [];
let synthesized: SynthesizedCluster | undefined;
after(() => {
  synthesized?.dispose();
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

describe('AWS Control Tower proactive controls (cfn-guard) gate', () => {
  it('finds nothing unacknowledged in any stack of the app', () => {
    // Synthesis throws, with the findings, on anything not fixed or acknowledged.
    synthesized = synthesizeCluster({ controlTower: true });
    assert.deepEqual(validationFindings(synthesized.assembly.directory, 'cdk-validator-cfnguard'), []);
  });

  it('acknowledges each remaining rule in one file, with its control id and a specific reason', () => {
    const rules = controlTowerAcknowledgements.map((entry) => entry.rule);
    assert.equal(new Set(rules).size, rules.length, 'one entry per rule');
    for (const entry of controlTowerAcknowledgements) {
      assert.ok(ruleText.includes(`rule ${entry.rule} `), `${entry.rule} is a rule of the bundled controls`);
      assert.match(entry.control, /^CT\.[A-Z0-9]+\.PR\.\d+$/);
      assert.ok(ruleText.includes(`[${entry.control}]`), `${entry.control} is the control of ${entry.rule}`);
      assert.ok(entry.reason.length >= 60, `${entry.rule} needs a specific reason`);
    }
  });

  it('no longer needs acknowledgements for what was fixed', () => {
    const fixed = [
      'kms_create_grant_aws_service_check',
      'rds_instance_logging_enabled_check',
      'rds_instance_automatic_minor_version_upgrade_enabled_check',
      'cloudwatch_log_group_encrypted_check',
      'ec2_launch_template_monitoring_enabled_check',
    ];
    for (const rule of fixed) {
      assert.ok(ruleText.includes(`rule ${rule} `), `${rule} is a bundled rule`);
      assert.ok(
        !controlTowerAcknowledgements.some((entry) => entry.rule === rule),
        `${rule} is fixed, not acknowledged`,
      );
    }
  });

  it('fails synthesis on a finding nobody acknowledged, and lets through only the acknowledged one', () => {
    const run = (acknowledge: boolean): string[] => {
      const outdir = mkdtempSync(join(tmpdir(), 'guard-'));
      scratch.push(outdir);
      const app = new App({ outdir });
      const queue = new sqs.Queue(new Stack(app, 'Unchecked'), 'PlainQueue');
      if (acknowledge) {
        Validations.of(queue).acknowledge({ id: 'cdk-validator-cfnguard::sqs_dlq_check', reason: 'test' });
      }
      Validations.of(app).addPlugins(new CfnGuardValidator());
      try {
        app.synth();
        return [];
      } catch (error) {
        assert.match(String(error), /Validation failed/);
        return validationFindings(outdir, 'cdk-validator-cfnguard');
      }
    };
    assert.ok(run(false).some((finding) => finding.startsWith('sqs_dlq_check ')));
    assert.ok(!run(true).some((finding) => finding.startsWith('sqs_dlq_check ')));
  });
});
