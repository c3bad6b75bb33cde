import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { IAnalysisTemplate } from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/AnalysisTemplate';
import type { IRollout } from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout';
import type { IServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import type { Chart } from 'cdk8s';
import { stringify } from 'yaml';
import { CanaryAnalysis, canaryHashArg, podTemplateHashLabel } from '../../lib/canary-analysis/index.js';
import type { CanaryAnalysisProps } from '../../lib/canary-analysis/index.js';
import { assertRefused, freshChart } from '../refusals.js';
import { environments, findObject } from '../rendered.js';
import { serverMetricNames } from '../../../platform/metric-names.js';
import { promtoolIn } from '../../../test/support/promtool.js';

const workDir = mkdtempSync(join(tmpdir(), 'canary-promtool-'));
const promtool = promtoolIn(workDir);
after(() => {
  rmSync(workDir, { recursive: true, force: true });
});

for (const env of environments) {
  const rollout = findObject(env.name, 'Rollout') as unknown as IRollout;
  const template = findObject(env.name, 'AnalysisTemplate') as unknown as IAnalysisTemplate;
  const canary = rollout.spec.strategy!.canary!;
  const steps = canary.steps ?? [];

  describe(`canary (${env.name})`, () => {
    it(`climbs ${env.production ? '10 % and 50 %' : 'one 50 % step'}, each weight judged by the AnalysisTemplate`, () => {
      const weights = steps.flatMap((step) => (step.setWeight === undefined ? [] : [step.setWeight]));
      assert.deepEqual(weights, env.production ? [10, 50] : [50]);
      steps.forEach((step, index) => {
        if (step.setWeight === undefined) return;
        const analysis = steps[index + 1]?.analysis;
        assert.ok(analysis, `the ${step.setWeight} % step is followed by an analysis`);
        assert.deepEqual(
          (analysis.templates ?? []).map((ref) => ref.templateName),
          [template.metadata!.name],
        );
        assert.deepEqual(analysis.args, [{ name: canaryHashArg, valueFrom: { podTemplateHashValue: 'Latest' } }]);
      });
    });

    it('keeps the stable pods at full size and aborts a release that cannot progress', () => {
      assert.equal(canary.dynamicStableScale, false);
      assert.equal(rollout.spec.progressDeadlineAbort, true);
      assert.ok(rollout.spec.replicas === undefined, 'the HPA owns the count');
    });

    it('selects the canary series by the label the ServiceMonitor copies from the pods', () => {
      const serviceMonitor = findObject(env.name, 'ServiceMonitor') as unknown as IServiceMonitor;
      assert.deepEqual(serviceMonitor.spec.podTargetLabels, [podTemplateHashLabel.pod]);
      for (const metric of template.spec.metrics ?? []) {
        const query = metric.provider.prometheus!.query!;
        assert.ok(query.includes(`${podTemplateHashLabel.series}="{{args.${canaryHashArg}}}"`), metric.name);
        assert.ok(query.includes(`namespace="${env.namespace}"`), metric.name);
      }
    });

    it("queries only the server's own metrics (platform/metric-names.ts), in PromQL promtool accepts", () => {
      const exported = new Set(
        Object.values(serverMetricNames).flatMap((name) => [name, `${name}_count`, `${name}_bucket`, `${name}_sum`]),
      );
      const queries = (template.spec.metrics ?? []).map((metric) => metric.provider.prometheus!.query!);
      for (const query of queries) {
        const selected = [...query.matchAll(/([a-zA-Z_:][\w:]*)\{/g)].map(([, name]) => name!);
        assert.ok(selected.length > 0, query);
        for (const name of selected) assert.ok(exported.has(name), `${name} is not a metric the server exports`);
      }
      const rulesFile = join(workDir, `${env.name}-analysis.yaml`);
      const rules = queries.map((expr, index) => ({ record: `canary:check${index}`, expr }));
      writeFileSync(rulesFile, stringify({ groups: [{ name: 'analysis', rules }] }));
      assert.match(promtool('check', 'rules', rulesFile), /SUCCESS: 3 rules found/);
    });

    it('fails an analysis after a second failed measurement, never on no data', () => {
      for (const metric of template.spec.metrics ?? []) {
        assert.equal(metric.failureLimit, 1, metric.name);
        assert.match(metric.provider.prometheus!.query!, /or vector\(0\)$/, `${metric.name} answers 0 on no data`);
      }
    });
  });
}

describe('CanaryAnalysis props', () => {
  const valid: CanaryAnalysisProps = { name: 'desktop-backend-canary', namespace: 'ns', job: 'desktop-backend' };
  const build = (overrides: Partial<CanaryAnalysisProps>) => (chart: Chart) =>
    new CanaryAnalysis(chart, 'analysis', { ...valid, ...overrides });

  it('accepts the props the charts use', () => {
    assert.doesNotThrow(() => new CanaryAnalysis(freshChart(), 'analysis', valid));
  });

  it('refuses ratios above 1 and a failure limit that no analysis could reach', () => {
    assertRefused(build({ thresholds: { maxErrorRatio: 2 } }), 'CanaryAnalysis', 'thresholds.maxErrorRatio');
    assertRefused(build({ count: 3, failureLimit: 3 }), 'CanaryAnalysis', 'failureLimit', /below count/);
  });

  it('refuses a Prometheus address that is not a URL and durations Argo Rollouts cannot read', () => {
    assertRefused(build({ prometheusAddress: 'prometheus:9090' }), 'CanaryAnalysis', 'prometheusAddress');
    assertRefused(build({ interval: '1 minute' }), 'CanaryAnalysis', 'interval');
  });
});
