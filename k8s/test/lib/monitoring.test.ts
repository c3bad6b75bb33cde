import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Chart } from 'cdk8s';
import type { IPrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import type { IServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IService } from 'kubernetes-models/v1/Service';
import { Registry } from 'prom-client';
import { stringify } from 'yaml';
import { monitoring } from '../../../platform/environments.js';
import { serverContract } from '../../../platform/server-contract.js';
import { loadDatabaseConfig } from '../../../server/src/config/index.js';
import { createPool, registerDatabaseMetrics } from '../../../server/src/db/index.js';
import { createDesktopMetrics } from '../../../server/src/desktop/metrics.js';
import { createMetrics } from '../../../server/src/metrics/index.js';
import { alertNames, metricNames } from '../../lib/monitoring/index.js';
import { Monitoring } from '../../lib/monitoring/index.js';
import type { MonitoringProps } from '../../lib/monitoring/index.js';
import { assertRefused, freshChart } from '../refusals.js';
import { environments, findObject } from '../rendered.js';
import { promtoolIn } from '../../../test/support/promtool.js';

const workDir = mkdtempSync(join(tmpdir(), 'k8s-promtool-'));

const promtool = promtoolIn(workDir);

interface Series {
  readonly series: string;
  readonly values: string;
}

interface AlertCase {
  readonly alert: string;
  /** Which trouble, when an alert has more than one case. */
  readonly scenario?: string;
  readonly evalTime: string;
  /** Series that make the alert fire. */
  readonly series: readonly Series[];
  /** Labels the firing alert carries from its expression (beyond the rule's own). */
  readonly resultLabels: Record<string, string>;
}

for (const env of environments) {
  const rule = findObject(env.name, 'PrometheusRule') as unknown as IPrometheusRule;
  const groups = rule.spec.groups!;
  const rules = groups.flatMap((group) => group.rules ?? []);
  const ns = env.namespace;
  const app = `namespace="${ns}", job="desktop-backend"`;
  const http = metricNames.httpRequestDuration;
  const histogram = (name: string, slowBucket: string) => [
    { series: `${name}_bucket{${app}, le="0.5"}`, values: '0+0x30' },
    { series: `${name}_bucket{${app}, le="${slowBucket}"}`, values: '0+0x30' },
    { series: `${name}_bucket{${app}, le="10"}`, values: '0+10x30' },
    { series: `${name}_bucket{${app}, le="+Inf"}`, values: '0+10x30' },
  ];

  const cases: AlertCase[] = [
    {
      alert: alertNames.errorRatio,
      evalTime: '15m',
      series: [
        { series: `${http}_count{${app}, method="GET", route="/api/me", status="500"}`, values: '0+10x20' },
        { series: `${http}_count{${app}, method="GET", route="/api/me", status="200"}`, values: '0+10x20' },
      ],
      resultLabels: {},
    },
    { alert: alertNames.latency, evalTime: '20m', series: histogram(http, '1'), resultLabels: {} },
    {
      alert: alertNames.notReady,
      evalTime: '15m',
      series: [
        {
          series: `${metricNames.podReady}{namespace="${ns}", pod="desktop-backend-7d9f8c6b5-abcde", condition="false"}`,
          values: '1x20',
        },
        {
          series: `${metricNames.podOwner}{namespace="${ns}", pod="desktop-backend-7d9f8c6b5-abcde", owner_kind="ReplicaSet", owner_name="desktop-backend-7d9f8c6b5"}`,
          values: '1x40',
        },
        // A migration Job's pod that is not ready (it runs, then completes) is not a server pod.
        {
          series: `${metricNames.podReady}{namespace="${ns}", pod="desktop-backend-migrate-x1y2z", condition="false"}`,
          values: '1x20',
        },
        {
          series: `${metricNames.podOwner}{namespace="${ns}", pod="desktop-backend-migrate-x1y2z", owner_kind="Job", owner_name="desktop-backend-migrate"}`,
          values: '1x20',
        },
      ],
      resultLabels: {},
    },
    {
      alert: alertNames.databaseUnavailable,
      scenario: 'DB-bound requests answer 503',
      evalTime: '10m',
      // The database is gone: pods stay ready (by design), DB-bound requests answer 503, /health still 200.
      series: [
        { series: `${http}_count{${app}, method="GET", route="/api/me", status="503"}`, values: '0+90x20' },
        { series: `${http}_count{${app}, method="GET", route="/health", status="200"}`, values: '0+10x20' },
      ],
      resultLabels: {},
    },
    {
      alert: alertNames.databaseUnavailable,
      scenario: 'no traffic at all, every pod reports db_up 0',
      evalTime: '10m',
      // At night: desktops hold their sockets, nobody calls the API, so there is no 503 ratio; /ready (db_up) says it.
      series: [
        { series: `${metricNames.dbUp}{${app}, pod="a"}`, values: '1x3 0x20' },
        { series: `${metricNames.dbUp}{${app}, pod="b"}`, values: '1x3 0x20' },
      ],
      resultLabels: {},
    },
    {
      alert: alertNames.restarts,
      evalTime: '10m',
      series: [
        {
          series: `${metricNames.containerRestarts}{namespace="${ns}", pod="desktop-backend-7d9f8-abcde", container="server"}`,
          values: '0 1 2 3 4 5 5 5 5 5 5',
        },
      ],
      resultLabels: { pod: 'desktop-backend-7d9f8-abcde' },
    },
    {
      alert: alertNames.wsDrops,
      evalTime: '15m',
      series: [
        { series: `${metricNames.wsCloses}{${app}, code="1006"}`, values: '0+50x20' },
        { series: `${metricNames.wsConnectionsOpen}{${app}, pod="a"}`, values: '100x20' },
      ],
      resultLabels: {},
    },
    {
      alert: alertNames.eventLag,
      evalTime: '20m',
      series: histogram(metricNames.eventDeliveryLag, '2.5'),
      resultLabels: {},
    },
  ];

  /** For each alert, a trouble just short of its threshold or of its `for` duration: the alert must stay silent. */
  const nearMisses: Omit<AlertCase, 'resultLabels'>[] = [
    {
      alert: alertNames.errorRatio,
      evalTime: '15m',
      series: [
        { series: `${http}_count{${app}, method="GET", route="/api/me", status="500"}`, values: '0+4x20' },
        { series: `${http}_count{${app}, method="GET", route="/api/me", status="200"}`, values: '0+96x20' },
      ],
    },
    {
      alert: alertNames.latency,
      evalTime: '20m',
      series: [
        { series: `${http}_bucket{${app}, le="0.5"}`, values: '0+10x30' },
        { series: `${http}_bucket{${app}, le="1"}`, values: '0+10x30' },
        { series: `${http}_bucket{${app}, le="+Inf"}`, values: '0+10x30' },
      ],
    },
    {
      alert: alertNames.notReady,
      evalTime: '15m',
      // Unavailable for 8 minutes (a slow rollout step), then available again.
      series: [
        {
          series: `${metricNames.podReady}{namespace="${ns}", pod="desktop-backend-7d9f8c6b5-abcde", condition="false"}`,
          values: '1x8 0x12',
        },
        {
          series: `${metricNames.podOwner}{namespace="${ns}", pod="desktop-backend-7d9f8c6b5-abcde", owner_kind="ReplicaSet", owner_name="desktop-backend-7d9f8c6b5"}`,
          values: '1x40',
        },
      ],
    },
    {
      alert: alertNames.databaseUnavailable,
      evalTime: '10m',
      // One pod cannot reach the database (its own fault: /ready says so on that pod), the others can.
      series: [
        { series: `${metricNames.dbUp}{${app}, pod="a"}`, values: '0x20' },
        { series: `${metricNames.dbUp}{${app}, pod="b"}`, values: '1x20' },
      ],
    },
    {
      alert: alertNames.databaseUnavailable,
      evalTime: '10m',
      // A failover shorter than the hold: every pod reports 0 for one minute, then 1 again.
      series: [
        { series: `${metricNames.dbUp}{${app}, pod="a"}`, values: '1x7 0 1x12' },
        { series: `${metricNames.dbUp}{${app}, pod="b"}`, values: '1x7 0 1x12' },
      ],
    },
    {
      alert: alertNames.databaseUnavailable,
      evalTime: '10m',
      // Draining pods and busy pools answer some 503s; 40 % is below the threshold.
      series: [
        { series: `${http}_count{${app}, method="GET", route="/api/me", status="503"}`, values: '0+40x20' },
        { series: `${http}_count{${app}, method="GET", route="/api/me", status="200"}`, values: '0+60x20' },
      ],
    },
    {
      alert: alertNames.restarts,
      evalTime: '10m',
      series: [
        {
          series: `${metricNames.containerRestarts}{namespace="${ns}", pod="desktop-backend-7d9f8-abcde", container="server"}`,
          values: '0 1 2 2 2 2 2 2 2 2 2',
        },
      ],
    },
    {
      alert: alertNames.wsDrops,
      evalTime: '15m',
      // One drop a minute among 100 sockets: 5 % in 5 minutes.
      series: [
        { series: `${metricNames.wsCloses}{${app}, code="1006"}`, values: '0+1x20' },
        { series: `${metricNames.wsConnectionsOpen}{${app}, pod="a"}`, values: '100x20' },
      ],
    },
    {
      alert: alertNames.eventLag,
      evalTime: '20m',
      series: [
        { series: `${metricNames.eventDeliveryLag}_bucket{${app}, le="1"}`, values: '0+10x30' },
        { series: `${metricNames.eventDeliveryLag}_bucket{${app}, le="2"}`, values: '0+10x30' },
        { series: `${metricNames.eventDeliveryLag}_bucket{${app}, le="+Inf"}`, values: '0+10x30' },
      ],
    },
  ];

  /** A healthy service, plus a failing one in another namespace that these rules must not see. */
  const healthy = [
    { series: `${http}_count{${app}, method="GET", route="/api/me", status="200"}`, values: '0+100x40' },
    { series: `${http}_count{${app}, method="GET", route="/api/me", status="500"}`, values: '0+0x40' },
    { series: `${http}_bucket{${app}, le="0.1"}`, values: '0+100x40' },
    { series: `${http}_bucket{${app}, le="+Inf"}`, values: '0+100x40' },
    { series: `${http}_count{namespace="other", job="desktop-backend", status="500"}`, values: '0+100x40' },
    {
      series: `${metricNames.podReady}{namespace="${ns}", pod="desktop-backend-7d9f8c6b5-abcde", condition="false"}`,
      values: '0x40',
    },
    {
      series: `${metricNames.podOwner}{namespace="${ns}", pod="desktop-backend-7d9f8c6b5-abcde", owner_kind="ReplicaSet", owner_name="desktop-backend-7d9f8c6b5"}`,
      values: '1x40',
    },
    {
      series: `${metricNames.podReady}{namespace="other", pod="desktop-backend-7d9f8c6b5-abcde", condition="false"}`,
      values: '1x40',
    },
    {
      series: `${metricNames.podOwner}{namespace="other", pod="desktop-backend-7d9f8c6b5-abcde", owner_kind="ReplicaSet", owner_name="desktop-backend-7d9f8c6b5"}`,
      values: '1x40',
    },
    { series: `${metricNames.containerRestarts}{namespace="${ns}", pod="p", container="server"}`, values: '2x40' },
    { series: `${metricNames.wsCloses}{${app}, code="1001"}`, values: '0+500x40' },
    { series: `${metricNames.wsCloses}{${app}, code="1000"}`, values: '0+50x40' },
    // Clients that call close() without a code: orderly, even when a whole office shuts its laptops at once.
    { series: `${metricNames.wsCloses}{${app}, code="1005"}`, values: '0+200x40' },
    { series: `${metricNames.wsConnectionsOpen}{${app}, pod="a"}`, values: '1000x40' },
    { series: `${metricNames.eventDeliveryLag}_bucket{${app}, le="0.05"}`, values: '0+100x40' },
    { series: `${metricNames.eventDeliveryLag}_bucket{${app}, le="+Inf"}`, values: '0+100x40' },
    { series: `${metricNames.dbUp}{${app}, pod="a"}`, values: '1x40' },
    // Another namespace's database is down: not this service's alert.
    { series: `${metricNames.dbUp}{namespace="other", job="desktop-backend", pod="a"}`, values: '0x40' },
  ];

  describe(`alert rules (${env.name})`, () => {
    const rulesFile = `rules-${env.name}.yaml`;
    writeFileSync(join(workDir, rulesFile), stringify({ groups }));

    /** `promtool test rules` of these rules: the input series, then what each alert must be at a given time. */
    const testRules = (testFile: string, inputSeries: readonly Series[], alertRuleTests: unknown[]) => {
      writeFileSync(
        join(workDir, testFile),
        stringify({
          rule_files: [rulesFile],
          evaluation_interval: '1m',
          tests: [{ interval: '1m', input_series: inputSeries, alert_rule_test: alertRuleTests }],
        }),
      );
      assert.match(promtool('test', 'rules', testFile), /SUCCESS/);
    };

    it('pass `promtool check rules`', () => {
      assert.match(promtool('check', 'rules', rulesFile), /SUCCESS/);
    });

    it('cover the failure modes: 5xx ratio, latency, readiness, database outage, restarts, WebSocket drops, event lag', () => {
      assert.deepEqual(rules.map((candidate) => candidate.alert).sort(), Object.values(alertNames).sort());
      for (const candidate of rules) {
        assert.ok(candidate.labels?.severity, `${candidate.alert} has a severity`);
        assert.match(candidate.annotations?.runbook_url ?? '', /RUNBOOK\.md#/);
      }
    });

    for (const [index, alertCase] of cases.entries()) {
      const scenario = alertCase.scenario ? `: ${alertCase.scenario}` : '';
      it(`fires ${alertCase.alert}${scenario} (promtool test rules)`, () => {
        const definition = rules.find((candidate) => candidate.alert === alertCase.alert)!;
        testRules(`test-${env.name}-${index}-${alertCase.alert}.yaml`, alertCase.series, [
          {
            eval_time: alertCase.evalTime,
            alertname: alertCase.alert,
            exp_alerts: [
              {
                exp_labels: { ...definition.labels, ...alertCase.resultLabels },
                exp_annotations: definition.annotations,
              },
            ],
          },
        ]);
      });
    }

    for (const [index, nearMiss] of nearMisses.entries()) {
      it(`keeps ${nearMiss.alert} silent just short of its threshold, case ${index + 1} (promtool test rules)`, () => {
        testRules(`test-${env.name}-${index}-${nearMiss.alert}-near-miss.yaml`, nearMiss.series, [
          { eval_time: nearMiss.evalTime, alertname: nearMiss.alert, exp_alerts: [] },
        ]);
      });
    }

    it('stays silent for a healthy service, whatever happens in other namespaces (promtool test rules)', () => {
      testRules(
        `test-${env.name}-healthy.yaml`,
        healthy,
        Object.values(alertNames).map((alertname) => ({ eval_time: '35m', alertname, exp_alerts: [] })),
      );
    });

    it('scrapes the metrics port of the server Service, through the labels Prometheus selects', () => {
      const serviceMonitor = findObject(env.name, 'ServiceMonitor') as unknown as IServiceMonitor;
      const service = findObject(env.name, 'Service', 'desktop-backend') as unknown as IService;
      for (const [key, value] of Object.entries(monitoring.prometheusSelectorLabels)) {
        assert.equal(serviceMonitor.metadata!.labels![key], value);
        assert.equal(rule.metadata!.labels![key], value);
      }
      for (const [key, value] of Object.entries(serviceMonitor.spec.selector.matchLabels!)) {
        assert.equal(service.metadata!.labels![key], value, key);
      }
      const endpoint = serviceMonitor.spec.endpoints[0]!;
      const port = service.spec!.ports!.find((candidate) => candidate.name === endpoint.port);
      assert.equal(port?.port, serverContract.metricsPort);
      assert.equal(endpoint.path, serverContract.paths.metrics);
    });

    it('ships a Grafana dashboard the sidecar loads', () => {
      const dashboard = findObject(env.name, 'ConfigMap') as unknown as IConfigMap;
      for (const [key, value] of Object.entries(monitoring.grafanaDashboardLabels)) {
        assert.equal(dashboard.metadata!.labels![key], value);
      }
      const [json] = Object.values(dashboard.data!);
      const parsed = JSON.parse(json!) as { panels: unknown[]; uid: string };
      assert.ok(parsed.panels.length >= 6);
    });
  });
}

describe('metric names', () => {
  const pool = createPool(loadDatabaseConfig({ DB_HOST: '127.0.0.1', DB_USER: 'nobody' }));
  after(() => pool.end());

  it('are the ones the server registers, with the labels the alerts use', () => {
    const { registry } = createMetrics(pool);
    const desktopRegistry = new Registry();
    createDesktopMetrics(desktopRegistry);
    const labelsOf = (name: string, source: Registry) => {
      const metric = source.getSingleMetric(name) as unknown as { labelNames?: string[] } | undefined;
      assert.ok(metric, `the server registers ${name}`);
      return metric.labelNames ?? [];
    };
    assert.deepEqual(labelsOf(metricNames.httpRequestDuration, registry), ['method', 'route', 'status']);
    assert.deepEqual(labelsOf(metricNames.wsCloses, desktopRegistry), ['code']);
    labelsOf(metricNames.wsConnectionsOpen, desktopRegistry);
    labelsOf(metricNames.eventDeliveryLag, desktopRegistry);
    const databaseRegistry = new Registry();
    registerDatabaseMetrics(databaseRegistry, () => Promise.resolve(true));
    assert.deepEqual(labelsOf(metricNames.dbUp, databaseRegistry), []);
  });
});

describe('Monitoring props', () => {
  const valid: MonitoringProps = {
    name: 'desktop-backend',
    namespace: 'desktop-backend-staging',
    environmentName: 'staging',
    serviceSelector: { 'app.kubernetes.io/name': 'desktop-backend' },
    metricsPortName: 'metrics',
    metricsPath: '/metrics',
    workloadName: 'desktop-backend',
    containerName: 'server',
    prometheusSelectorLabels: monitoring.prometheusSelectorLabels,
    grafanaDashboardLabels: monitoring.grafanaDashboardLabels,
    runbookUrl: 'https://example.com/RUNBOOK.md',
  };
  const build = (overrides: Partial<MonitoringProps>) => (chart: Chart) =>
    new Monitoring(chart, 'monitoring', { ...valid, ...overrides });

  it('accepts the props the charts use', () => {
    assert.doesNotThrow(() => new Monitoring(freshChart(), 'monitoring', valid));
  });

  it('refuses ratios outside (0, 1]: an error ratio of 5 (meant as 5 %) would never fire', () => {
    assertRefused(build({ thresholds: { errorRatio: 5 } }), 'Monitoring', 'thresholds.errorRatio', /got 5/);
    assertRefused(build({ thresholds: { wsDropRatio: 0 } }), 'Monitoring', 'thresholds.wsDropRatio');
  });

  it('refuses a scrape interval Prometheus cannot parse and an empty Service selector', () => {
    assertRefused(build({ scrapeInterval: '30' }), 'Monitoring', 'scrapeInterval');
    assertRefused(build({ serviceSelector: {} }), 'Monitoring', 'serviceSelector');
  });
});
