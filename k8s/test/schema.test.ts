import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnalysisTemplate } from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/AnalysisTemplate';
import { Rollout } from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout';
import { AppProject } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject';
import { Application } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application';
import { ExternalSecret } from '@kubernetes-models/external-secrets/external-secrets.io/v1/ExternalSecret';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { kubernetesVersion } from '../../platform/environments.js';
import { renderedFiles } from './rendered.js';
import type { KubeObject } from './rendered.js';

interface Validatable {
  validate(): void;
}

/** The schema of every apiVersion/kind the charts may render; anything else fails the test. */
const models: Record<string, (object: KubeObject) => Validatable> = {
  'v1/ConfigMap': (object) => new ConfigMap(object),
  'v1/Service': (object) => new Service(object),
  'v1/ServiceAccount': (object) => new ServiceAccount(object),
  'autoscaling/v2/HorizontalPodAutoscaler': (object) => new HorizontalPodAutoscaler(object as never),
  'batch/v1/Job': (object) => new Job(object),
  'networking.k8s.io/v1/Ingress': (object) => new Ingress(object),
  'networking.k8s.io/v1/NetworkPolicy': (object) => new NetworkPolicy(object),
  'policy/v1/PodDisruptionBudget': (object) => new PodDisruptionBudget(object),
  'external-secrets.io/v1/ExternalSecret': (object) => new ExternalSecret(object),
  'monitoring.coreos.com/v1/ServiceMonitor': (object) => new ServiceMonitor(object as never),
  'monitoring.coreos.com/v1/PrometheusRule': (object) => new PrometheusRule(object as never),
  'argoproj.io/v1alpha1/AppProject': (object) => new AppProject(object as never),
  'argoproj.io/v1alpha1/Application': (object) => new Application(object as never),
  'argoproj.io/v1alpha1/Rollout': (object) => new Rollout(object as never),
  'argoproj.io/v1alpha1/AnalysisTemplate': (object) => new AnalysisTemplate(object as never),
};

/**
 * Built-in API versions the charts may use: GA, and the Kubernetes minor that first served them. Removed or beta
 * versions (autoscaling/v2beta2, policy/v1beta1, ...) are absent, so using one fails.
 */
const gaSince: Record<string, number> = {
  v1: 0,
  'apps/v1': 9,
  'batch/v1': 0,
  'autoscaling/v2': 23,
  'networking.k8s.io/v1': 19,
  'policy/v1': 21,
};

/** CRD versions, served by the operators the cluster installs rather than by Kubernetes itself. */
const crdGroups = ['external-secrets.io', 'monitoring.coreos.com', 'argoproj.io'];

describe('rendered objects', () => {
  it('each validates against its Kubernetes or CRD schema', () => {
    for (const file of renderedFiles) {
      for (const object of file.objects) {
        const model = models[`${object.apiVersion}/${object.kind}`];
        assert.ok(model, `${file.path}: no schema known for ${object.apiVersion} ${object.kind}`);
        assert.doesNotThrow(() => {
          model(object).validate();
        }, `${file.path} is invalid`);
      }
    }
  });

  it(`use only GA built-in API versions that Kubernetes ${kubernetesVersion} serves`, () => {
    const clusterMinor = Number(kubernetesVersion.split('.')[1]);
    for (const file of renderedFiles) {
      for (const { apiVersion } of file.objects) {
        const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
        if (crdGroups.includes(group)) continue;
        const since = gaSince[apiVersion];
        assert.ok(since !== undefined, `${file.path}: ${apiVersion} is not a GA API version`);
        assert.ok(since <= clusterMinor, `${file.path}: ${apiVersion} is not served by ${kubernetesVersion}`);
      }
    }
  });

  it('the schema check catches a broken object (so the test above can fail)', () => {
    const objects = renderedFiles.flatMap((file) => file.objects);
    const rollout = objects.find((object) => object.kind === 'Rollout')!;
    const broken = structuredClone(rollout) as KubeObject & { spec: { strategy: { canary: { steps: unknown } } } };
    broken.spec.strategy.canary.steps = 'setWeight 10';
    assert.throws(() => {
      models['argoproj.io/v1alpha1/Rollout']!(broken).validate();
    });
    const template = objects.find((object) => object.kind === 'AnalysisTemplate')!;
    const brokenTemplate = structuredClone(template) as KubeObject & { spec: { metrics: { provider: unknown }[] } };
    brokenTemplate.spec.metrics[0]!.provider = 'prometheus';
    assert.throws(() => {
      models['argoproj.io/v1alpha1/AnalysisTemplate']!(brokenTemplate).validate();
    });
  });
});
