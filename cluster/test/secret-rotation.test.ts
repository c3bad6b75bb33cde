import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reloaderSecretAnnotation } from '../../k8s/lib/web-service/web-service.js';
import { environments } from '../../platform/environments.js';
import { chartPins } from '../lib/addons/charts.js';
import { helmValues, single, transitiveDependencies, useSynthesizedCluster } from './support/synth.js';

const synthesized = useSynthesizedCluster();

for (const environment of environments) {
  describe(`pods pick up rotated secrets in ${environment.name}`, () => {
    const template = () => synthesized().environment(environment.name);

    it('runs Reloader for Argo Rollouts, on Secrets of the service namespace only', () => {
      const [chartId, chart] = single(template(), 'Custom::AWSCDK-EKS-HelmChart', { Chart: 'reloader' });
      assert.equal(chart.Properties.Version, chartPins.reloader.version);
      const values = helmValues(chart).reloader as Record<string, unknown>;
      assert.equal(values.isArgoRollouts, true, 'restarts Rollouts, not only Deployments');
      assert.equal(values.ignoreConfigMaps, true);
      assert.equal(values.watchGlobally, false, 'no ClusterRole');
      assert.deepEqual(values.namespaces, [environment.namespace]);
      const [nodeGroupId] = single(template(), 'AWS::EKS::Nodegroup');
      assert.ok(transitiveDependencies(template(), chartId).has(nodeGroupId));
    });

    it('is the Reloader whose annotation the server Rollout of k8s/ carries', () => {
      assert.match(reloaderSecretAnnotation, /^secret\.reloader\.stakater\.com\/reload$/);
    });
  });
}
