/**
 * RUNBOOK.md is only useful if its names are the real ones. These checks read it against platform/, charts-out/,
 * argocd/, package.json and the workflows, so a rename elsewhere fails here until the runbook follows.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import { environments } from '../platform/environments.js';
import { service } from '../platform/service.js';
import { serverContract } from '../platform/server-contract.js';
import { renderRoot } from '../k8s/test/rendered.js';

const repoRoot = join(import.meta.dirname, '..');
const runbook = readFileSync(join(repoRoot, 'RUNBOOK.md'), 'utf8');
// A fresh render of every environment: the committed charts-out/<env>/ holds only a placeholder until a release.
const chartsDir = (env: string) => join(renderRoot, 'charts-out', env);
const headings = new Set([...runbook.matchAll(/^#{2,3} (.+)$/gm)].map(([, text]) => text!.trim()));

interface Rule {
  alert?: string;
  annotations?: { runbook_url?: string };
}

function alertRules(env: string): Rule[] {
  const dir = chartsDir(env);
  return readdirSync(dir)
    .filter((name) => name.startsWith('PrometheusRule.'))
    .flatMap((name) => parseAllDocuments(readFileSync(join(dir, name), 'utf8')))
    .flatMap((doc) => (doc.toJS() as { spec: { groups: { rules: Rule[] }[] } }).spec.groups)
    .flatMap((group) => group.rules)
    .filter((rule) => rule.alert);
}

interface ScaleDownRules {
  stabilizationWindowSeconds: number;
  policies: { type: string; value: number; periodSeconds: number }[];
}

/** What section "Scaling" must say about the HPA's scale-in of an environment, read from the rendered HPA. */
function scaleDownPhrase(env: string): string {
  const [document] = parseAllDocuments(
    readFileSync(join(chartsDir(env), `HorizontalPodAutoscaler.${service.name}.yaml`), 'utf8'),
  );
  const rules = (document!.toJS() as { spec: { behavior: { scaleDown: ScaleDownRules } } }).spec.behavior.scaleDown;
  assert.equal(rules.policies.length, 1, `${env}: one scale-down policy`);
  const [policy] = rules.policies;
  assert.equal(policy!.type, 'Pods');
  return `scale-down waits ${rules.stabilizationWindowSeconds / 60} minutes and removes at most ${policy!.value} pods per ${policy!.periodSeconds / 60} minutes`;
}

describe('RUNBOOK.md', () => {
  for (const env of environments) {
    it(`has a section for every alert of ${env.name}, where the alert's runbook_url points`, () => {
      const rules = alertRules(env.name);
      assert.ok(rules.length > 0, `charts-out/${env.name} renders alerts`);
      for (const rule of rules) {
        assert.ok(headings.has(rule.alert!), `RUNBOOK.md has "### ${rule.alert!}"`);
        assert.match(rule.annotations?.runbook_url ?? '', new RegExp(`RUNBOOK\\.md#${rule.alert!.toLowerCase()}$`));
      }
    });
  }

  it('names every environment with its real namespace, host and secrets', () => {
    for (const env of environments) {
      for (const name of [
        env.namespace,
        env.host,
        env.secrets.database,
        env.secrets.jwt,
        `platform/pins/${env.name}.json`,
      ]) {
        assert.ok(runbook.includes(name), `RUNBOOK.md mentions ${name}`);
      }
      assert.ok(existsSync(join(repoRoot, 'argocd', `Application.${service.name}-${env.name}.yaml`)));
    }
    assert.ok(runbook.includes(`SEL=app.kubernetes.io/name=${service.name}`));
  });

  it('refers only to objects that charts-out/ renders', () => {
    const kinds: Record<string, string> = {
      rollout: 'Rollout',
      job: 'Job',
      externalsecret: 'ExternalSecret',
      hpa: 'HorizontalPodAutoscaler',
      ingress: 'Ingress',
      configmap: 'ConfigMap',
    };
    const references = [...runbook.matchAll(/\b(rollout|job|externalsecret|hpa|ingress)[/ ](desktop-backend[\w-]*)/g)];
    assert.ok(references.length > 5);
    for (const env of environments) {
      for (const [, kind, name] of references) {
        const file = join(chartsDir(env.name), `${kinds[kind!]!}.${name!}.yaml`);
        assert.ok(existsSync(file), `${kind!}/${name!} is rendered for ${env.name}`);
      }
    }
  });

  it('uses only npm scripts that exist and the role variable the release workflow reads', () => {
    const scripts = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: object }).scripts;
    for (const [, name] of runbook.matchAll(/npm run ([\w:-]+)/g)) assert.ok(name! in scripts, `npm run ${name!}`);
    const release = readFileSync(join(repoRoot, '.github/workflows/release.yml'), 'utf8');
    const variable = /vars\.(\w+)/.exec(release)?.[1];
    assert.ok(variable && runbook.includes(`gh variable set ${variable}`));
  });

  it('has shell blocks that parse and pass shellcheck (placeholders are variables, not <angle brackets>)', () => {
    const blocks = [...runbook.matchAll(/```bash\n([\s\S]*?)```/g)].map(([, body]) => body!);
    assert.ok(blocks.length > 10);
    for (const block of blocks) {
      const parsed = spawnSync('bash', ['-n'], { input: block, encoding: 'utf8' });
      assert.equal(parsed.status, 0, `${parsed.stderr}\n${block}`);
    }
    const checked = spawnSync('shellcheck', ['--format=gcc', '-'], {
      input: `#!/usr/bin/env bash\n${blocks.join('\n')}`,
      encoding: 'utf8',
    });
    assert.ok(!checked.error, 'shellcheck is installed (apt-get install shellcheck; .ci/run does it)');
    assert.equal(checked.status, 0, checked.stdout);
  });

  it('quotes the timings the server and the load balancer actually use', () => {
    const ingress = readFileSync(join(chartsDir('staging'), `Ingress.${service.name}.yaml`), 'utf8');
    const deregistration = /deregistration_delay\.timeout_seconds=(\d+)/.exec(ingress)?.[1];
    const rollout = readFileSync(join(chartsDir('staging'), `Rollout.${service.name}.yaml`), 'utf8');
    const grace = /terminationGracePeriodSeconds: (\d+)/.exec(rollout)?.[1];
    for (const phrase of [
      `idle timeout is ${serverContract.loadBalancerIdleTimeoutSeconds} s`,
      `pings every ${serverContract.heartbeatMs / 1000} s`,
      `${serverContract.preStopSleepSeconds} s preStop`,
      `deregistration delay\n  (${deregistration ?? '?'} s)`,
      `\`terminationGracePeriodSeconds\` (${grace ?? '?'} s)`,
      ...environments.map((env) => scaleDownPhrase(env.name)),
    ]) {
      assert.ok(
        runbook.replaceAll(/\n\s+/g, ' ').includes(phrase.replaceAll(/\n\s+/g, ' ')),
        `RUNBOOK.md says "${phrase}"`,
      );
    }
  });
});
