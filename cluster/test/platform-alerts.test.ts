import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { environments, monitoring } from '../../platform/environments.js';
import { platformAlertNames, platformAlertsRuleName } from '../lib/addons/platform-alerts/index.js';
import { kubernetesManifests, repoRoot, useSynthesizedCluster } from './support/synth.js';
import { promtoolIn } from '../../test/support/promtool.js';

const synthesized = useSynthesizedCluster();
const workDir = mkdtempSync(join(tmpdir(), 'platform-alerts-'));
after(() => {
  rmSync(workDir, { recursive: true, force: true });
});

const promtool = promtoolIn(workDir);

interface Series {
  readonly series: string;
  readonly values: string;
}

/** Series that make an alert fire by evalTime (with the labels it must carry), and series that must not. */
interface AlertCase {
  readonly alert: string;
  readonly evalTime: string;
  readonly firing: readonly Series[];
  readonly labels: Record<string, string>;
  readonly quiet: readonly Series[];
}

const argoApp = 'name="desktop-backend-production", namespace="argocd", project="desktop-backend"';
const cases: AlertCase[] = [
  {
    alert: platformAlertNames.argoCdSyncFailed,
    evalTime: '10m',
    firing: [{ series: `argocd_app_sync_total{${argoApp}, phase="Failed"}`, values: '0 0 0 0 0 1 1 1 1 1 1' }],
    labels: { name: 'desktop-backend-production', project: 'desktop-backend' },
    quiet: [{ series: `argocd_app_sync_total{${argoApp}, phase="Succeeded"}`, values: '0+1x10' }],
  },
  {
    alert: platformAlertNames.argoCdDegraded,
    evalTime: '15m',
    firing: [{ series: `argocd_app_info{${argoApp}, health_status="Degraded", sync_status="Synced"}`, values: '1x15' }],
    labels: { name: 'desktop-backend-production', project: 'desktop-backend' },
    // Degraded for five minutes (a rollout step) is not an incident.
    quiet: [
      { series: `argocd_app_info{${argoApp}, health_status="Degraded", sync_status="Synced"}`, values: '_x9 1x5' },
    ],
  },
  {
    alert: platformAlertNames.argoCdOutOfSync,
    evalTime: '40m',
    firing: [
      { series: `argocd_app_info{${argoApp}, health_status="Healthy", sync_status="OutOfSync"}`, values: '1x40' },
    ],
    labels: { name: 'desktop-backend-production', project: 'desktop-backend' },
    // OutOfSync for 20 minutes, then synced again: auto-sync doing its job.
    quiet: [
      {
        series: `argocd_app_info{${argoApp}, health_status="Healthy", sync_status="OutOfSync"}`,
        values: '1x20 _x20',
      },
    ],
  },
  {
    alert: platformAlertNames.externalSecretNotSynced,
    evalTime: '15m',
    firing: [
      {
        series:
          'externalsecret_status_condition{namespace="desktop-backend-production", name="database", condition="Ready", status="False"}',
        values: '1x15',
      },
    ],
    labels: { namespace: 'desktop-backend-production', name: 'database' },
    quiet: [
      {
        series:
          'externalsecret_status_condition{namespace="desktop-backend-production", name="database", condition="Ready", status="True"}',
        values: '1x15',
      },
    ],
  },
  {
    alert: platformAlertNames.loadBalancerReconcileErrors,
    evalTime: '30m',
    firing: [
      {
        series: 'controller_runtime_reconcile_errors_total{job="aws-load-balancer-controller", controller="ingress"}',
        values: '0+2x30',
      },
    ],
    labels: { controller: 'ingress' },
    // Another controller's errors are not the load balancer controller's.
    quiet: [
      {
        series: 'controller_runtime_reconcile_errors_total{job="external-secrets", controller="externalsecret"}',
        values: '0+2x30',
      },
    ],
  },
  {
    alert: platformAlertNames.karpenterCloudProviderErrors,
    evalTime: '30m',
    firing: [
      {
        series:
          'karpenter_cloudprovider_errors_total{controller="nodeclaim.lifecycle", method="Create", provider="aws", error="InsufficientCapacityError"}',
        values: '0+1x30',
      },
    ],
    labels: { method: 'Create', error: 'InsufficientCapacityError' },
    quiet: [
      {
        series:
          'karpenter_cloudprovider_errors_total{controller="nodeclaim.lifecycle", method="Create", provider="aws", error="InsufficientCapacityError"}',
        values: '3x30',
      },
    ],
  },
  {
    alert: platformAlertNames.karpenterNodePoolNearLimit,
    evalTime: '20m',
    firing: [
      { series: 'karpenter_nodepools_usage{nodepool="default", resource_type="cpu"}', values: '60x20' },
      { series: 'karpenter_nodepools_limit{nodepool="default", resource_type="cpu"}', values: '64x20' },
    ],
    labels: { nodepool: 'default' },
    quiet: [
      { series: 'karpenter_nodepools_usage{nodepool="default", resource_type="cpu"}', values: '32x20' },
      { series: 'karpenter_nodepools_limit{nodepool="default", resource_type="cpu"}', values: '64x20' },
    ],
  },
];

interface PrometheusRuleManifest {
  kind: string;
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: {
    groups: { name: string; rules: { alert: string; labels: Record<string, string>; annotations: unknown }[] }[];
  };
}

for (const environment of environments) {
  describe(`platform alerts in ${environment.name}`, () => {
    const rule = (): PrometheusRuleManifest => {
      const found = kubernetesManifests(synthesized().environment(environment.name)).filter(
        (manifest) => manifest.kind === 'PrometheusRule',
      ) as unknown as PrometheusRuleManifest[];
      assert.equal(found.length, 1);
      return found[0]!;
    };

    it('is a PrometheusRule the platform Prometheus selects, covering every platform controller', () => {
      const { metadata, spec } = rule();
      assert.equal(metadata.name, platformAlertsRuleName);
      assert.equal(metadata.namespace, monitoring.namespace);
      for (const [key, value] of Object.entries(monitoring.prometheusSelectorLabels)) {
        assert.equal(metadata.labels[key], value);
      }
      const alerts = spec.groups.flatMap((group) => group.rules.map((r) => r.alert)).sort();
      assert.deepEqual(alerts, Object.values(platformAlertNames).sort());
    });

    it('links every alert to a heading of the RUNBOOK that says what to do', () => {
      // GitHub's anchors: the heading in lower case, spaces as hyphens, punctuation dropped.
      const anchors = new Set(
        readFileSync(join(repoRoot, 'RUNBOOK.md'), 'utf8')
          .split('\n')
          .filter((line) => line.startsWith('#'))
          .map((line) =>
            line
              .replace(/^#+\s*/, '')
              .toLowerCase()
              .replace(/[^a-z0-9 -]/g, '')
              .replace(/ /g, '-'),
          ),
      );
      for (const group of rule().spec.groups) {
        for (const { alert, annotations } of group.rules) {
          const url = (annotations as { runbook_url: string }).runbook_url;
          assert.match(url, /\/RUNBOOK\.md#/, alert);
          assert.ok(anchors.has(url.split('#')[1]!), `${alert}: no RUNBOOK heading for ${url}`);
        }
      }
    });

    it('passes promtool check rules and fires each alert on its cause only (promtool test rules)', () => {
      const groups = rule().spec.groups;
      const rulesFile = `platform-${environment.name}.rules.yaml`;
      writeFileSync(join(workDir, rulesFile), stringify({ groups }));
      promtool('check', 'rules', rulesFile);

      // promtool compares annotations too; the tests judge expressions, durations and labels, so they run on the
      // same rules without their (templated) annotations.
      const bareRulesFile = `platform-${environment.name}.bare.rules.yaml`;
      const bareGroups = groups.map((group) => ({
        ...group,
        rules: group.rules.map(({ annotations: _annotations, ...bare }) => bare),
      }));
      writeFileSync(join(workDir, bareRulesFile), stringify({ groups: bareGroups }));
      const ruleLabels = new Map(groups.flatMap((group) => group.rules.map((r) => [r.alert, r.labels] as const)));
      const tests = cases.flatMap((testCase) => [
        {
          interval: '1m',
          input_series: testCase.firing,
          alert_rule_test: [
            {
              eval_time: testCase.evalTime,
              alertname: testCase.alert,
              exp_alerts: [{ exp_labels: { ...ruleLabels.get(testCase.alert), ...testCase.labels } }],
            },
          ],
        },
        {
          interval: '1m',
          input_series: testCase.quiet,
          alert_rule_test: [{ eval_time: testCase.evalTime, alertname: testCase.alert, exp_alerts: [] }],
        },
      ]);
      const testFile = `platform-${environment.name}.test.yaml`;
      writeFileSync(
        join(workDir, testFile),
        stringify({ rule_files: [bareRulesFile], evaluation_interval: '1m', tests }, { aliasDuplicateObjects: false }),
      );
      assert.match(promtool('test', 'rules', testFile), /SUCCESS/);
    });
  });
}
