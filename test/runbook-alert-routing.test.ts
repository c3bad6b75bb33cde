/**
 * RUNBOOK.md's alert-routing section tells the operator which receiver an alert reaches and shows the amtool
 * commands that prove it. These checks run those very commands (Debian's amtool) against the Alertmanager
 * configuration cluster/ renders for each environment, so a routing change fails here until the runbook follows.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { clusterConfigs } from '../cluster/config/environments.js';
import { alertmanagerConfig } from '../cluster/lib/alerting/index.js';

const runbook = readFileSync(join(import.meta.dirname, '..', 'RUNBOOK.md'), 'utf8');

describe('RUNBOOK.md alert routing against the Alertmanager configuration cluster/ renders', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'runbook-amtool-'));
  after(() => {
    rmSync(scratch, { recursive: true, force: true });
  });
  const routeTests = [
    ...runbook.matchAll(/^amtool config routes test --config\.file=\S+ (.+?)\s+# (?:(\w+) )?→ (\w+)$/gm),
  ];

  for (const { environment, settings } of clusterConfigs()) {
    it(`routes ${environment.name}'s alerts as the runbook's amtool examples say`, () => {
      const { minimumSeverity, repeatInterval } = settings.alerting;
      const flat = runbook.replaceAll(/\n\s*/g, ' ');
      for (const phrase of [
        `${environment.name} \`${minimumSeverity}\``,
        `every ${repeatInterval.replace('h', ' h')}`,
      ]) {
        assert.ok(flat.includes(phrase), `RUNBOOK.md says "${phrase}"`);
      }
      const file = join(scratch, `${environment.name}.yaml`);
      const config = alertmanagerConfig({
        ...settings.alerting,
        topicArn: `arn:aws:sns:${environment.aws.region}:${environment.aws.account}:desktop-backend-${environment.name}-alerts`,
        region: environment.aws.region,
        environmentName: environment.name,
      });
      writeFileSync(file, stringify(config));
      assert.ok(routeTests.length >= 2);
      for (const [line, labels, onlyIn, receiver] of routeTests) {
        const args = labels!.replaceAll('"$NS"', environment.namespace).split(/\s+/);
        const run = spawnSync('amtool', ['config', 'routes', 'test', `--config.file=${file}`, ...args], {
          encoding: 'utf8',
          timeout: 30_000,
        });
        assert.ok(!run.error, 'amtool is installed (Debian prometheus-alertmanager)');
        if (onlyIn === undefined || onlyIn === environment.name) assert.equal(run.stdout.trim(), receiver, line);
        else assert.notEqual(run.stdout.trim(), receiver, `${line} (not in ${environment.name})`);
      }
    });
  }
});
