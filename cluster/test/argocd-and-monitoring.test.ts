import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { environmentNamed, environments } from '../../platform/environments.js';
import { clusterConfigs, clusterSettings } from '../config/environments.js';
import { ClusterConfigError, resolveClusterConfig } from '../config/schema.js';
import { alertmanagerTarget, argoCdNotificationTriggers } from '../lib/addons/argocd/index.js';
import {
  helmValues,
  resources,
  single,
  transitiveDependencies,
  useSynthesizedCluster,
  type Resource,
} from './support/synth.js';

const synthesized = useSynthesizedCluster();
const configs = new Map(clusterConfigs().map((config) => [config.environment.name, config]));

interface ArgoValues {
  'redis-ha': { enabled: boolean };
  redis: { enabled: boolean };
  controller: { replicas: number; metrics: { serviceMonitor: { enabled: boolean } } };
  server: { replicas: number; service: { type: string } };
  repoServer: { replicas: number };
  configs: { cm: Record<string, unknown> };
  notifications: {
    enabled: boolean;
    notifiers: Record<string, string>;
    triggers: Record<string, string>;
    templates: Record<string, string>;
    subscriptions: { recipients: string[]; triggers: string[] }[];
  };
}

const production = environmentNamed('production');

for (const environment of environments) {
  const { settings } = configs.get(environment.name)!;

  describe(`Argo CD operations in ${environment.name}`, () => {
    const template = () => synthesized().environment(environment.name);
    const argo = (): Resource => single(template(), 'Custom::AWSCDK-EKS-HelmChart', { Chart: 'argo-cd' })[1];

    it(
      environment.production
        ? 'runs HA: two of each server and controller, Redis HA'
        : 'runs one of each (staging has two nodes; Redis HA needs three)',
      () => {
        const values = helmValues(argo()) as unknown as ArgoValues;
        const replicas = environment.production ? 2 : 1;
        assert.equal(values['redis-ha'].enabled, environment.production);
        assert.equal(values.redis.enabled, !environment.production);
        assert.equal(values.controller.replicas, replicas);
        assert.equal(values.server.replicas, replicas);
        assert.equal(values.repoServer.replicas, replicas);
        assert.equal(values.server.service.type, 'ClusterIP', 'still no public endpoint');
        if (environment.production) assert.ok(settings.nodeGroup.minSize >= 3);
      },
    );

    if (environment.production) {
      it('signs people in through SSO only: the local admin is off', () => {
        const values = helmValues(argo()) as unknown as ArgoValues;
        assert.equal(values.configs.cm['admin.enabled'], false);
        assert.ok(values.configs.cm['oidc.config'], 'an OIDC provider is configured');
      });
    }

    it('notifies Alertmanager of failed syncs, degraded health and long OutOfSync, for every Application', () => {
      const { notifications } = helmValues(argo()) as unknown as ArgoValues;
      assert.equal(notifications.enabled, true);
      assert.deepEqual(JSON.parse(notifications.notifiers['service.alertmanager']!), { targets: [alertmanagerTarget] });
      assert.match(alertmanagerTarget, /^kube-prometheus-stack-alertmanager\.monitoring\.svc:9093$/);
      assert.deepEqual(notifications.subscriptions, [
        { recipients: ['alertmanager'], triggers: argoCdNotificationTriggers.map((t) => `on-${t}`) },
      ]);
      for (const trigger of argoCdNotificationTriggers) {
        const [definition] = JSON.parse(notifications.triggers[`trigger.on-${trigger}`]!) as [
          { send: string[]; when: string },
        ];
        assert.deepEqual(definition.send, [trigger]);
        const template = JSON.parse(notifications.templates[`template.${trigger}`]!) as {
          alertmanager: { labels: Record<string, string> };
        };
        assert.ok(template.alertmanager.labels.alertname && template.alertmanager.labels.severity);
      }
      const outOfSync = notifications.triggers['trigger.on-out-of-sync-too-long']!;
      assert.match(outOfSync, new RegExp(`Minutes\\(\\) >= ${settings.argocdOperations.outOfSyncMinutes}`));
      assert.match(notifications.triggers['trigger.on-sync-failed']!, /\['Error', 'Failed'\]/);
      assert.match(notifications.triggers['trigger.on-health-degraded']!, /'Degraded'/);
    });
  });

  describe(`monitoring storage in ${environment.name}`, () => {
    const template = () => synthesized().environment(environment.name);

    it('keeps Prometheus, Alertmanager and Grafana data on encrypted gp3 volumes sized per environment', () => {
      const [chartId, chart] = single(template(), 'Custom::AWSCDK-EKS-HelmChart', { Chart: 'kube-prometheus-stack' });
      const values = helmValues(chart) as {
        prometheus: { prometheusSpec: { storageSpec: Claim; retentionSize: string } };
        alertmanager: { alertmanagerSpec: { storage: Claim } };
        grafana: { persistence: { enabled: boolean; storageClassName: string; size: string } };
      };
      const sizes = settings.monitoringStorage;
      const claimOf = (claim: Claim) => claim.volumeClaimTemplate.spec;
      assert.deepEqual(claimOf(values.prometheus.prometheusSpec.storageSpec), {
        storageClassName: 'gp3',
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: `${sizes.prometheusGiB}Gi` } },
      });
      assert.equal(
        claimOf(values.alertmanager.alertmanagerSpec.storage).resources.requests.storage,
        `${sizes.alertmanagerGiB}Gi`,
      );
      assert.deepEqual(
        {
          enabled: values.grafana.persistence.enabled,
          storageClassName: values.grafana.persistence.storageClassName,
          size: values.grafana.persistence.size,
        },
        { enabled: true, storageClassName: 'gp3', size: `${sizes.grafanaGiB}Gi` },
      );
      // Prometheus trims its TSDB before the volume fills.
      assert.ok(Number.parseInt(values.prometheus.prometheusSpec.retentionSize, 10) < sizes.prometheusGiB);
      // The StorageClass (and the driver that serves it) exist before the chart claims volumes.
      const [addonId] = single(template(), 'AWS::EKS::Addon', { AddonName: 'aws-ebs-csi-driver' });
      assert.ok(transitiveDependencies(template(), chartId).has(addonId));
    });

    it('installs every chart that ships a ServiceMonitor after the Prometheus Operator CRDs', () => {
      const [monitoringId] = single(template(), 'Custom::AWSCDK-EKS-HelmChart', { Chart: 'kube-prometheus-stack' });
      for (const name of [
        'argo-cd',
        'argo-rollouts',
        'karpenter',
        'aws-for-fluent-bit',
        'external-dns',
        'external-secrets',
        'aws-load-balancer-controller',
      ]) {
        const [chartId] = single(template(), 'Custom::AWSCDK-EKS-HelmChart', { Chart: name });
        assert.ok(transitiveDependencies(template(), chartId).has(monitoringId), `${name} waits for the CRDs`);
      }
      assert.ok(resources(template(), 'Custom::AWSCDK-EKS-HelmChart').length > 5);
    });
  });
}

interface Claim {
  volumeClaimTemplate: { spec: { resources: { requests: { storage: string } } } & Record<string, unknown> };
}

describe('production Argo CD settings', () => {
  const productionSettings = clusterSettings.production!;
  const refuses = (settings: unknown, pattern: RegExp) => {
    assert.throws(
      () => resolveClusterConfig(production, settings),
      (error: unknown) => error instanceof ClusterConfigError && pattern.test(error.message),
    );
  };

  it('refuses the local admin in production', () => {
    refuses(
      { ...productionSettings, argocd: { ...productionSettings.argocd, adminEnabled: true } },
      /argocd\.adminEnabled must be false in production/,
    );
  });

  it('refuses production without SSO', () => {
    const { oidc: _oidc, ...withoutSso } = productionSettings.argocd;
    refuses({ ...productionSettings, argocd: withoutSso }, /argocd\.oidc|adminGroups/);
  });

  it('refuses Redis HA on fewer than three nodes', () => {
    const staging = environmentNamed('staging');
    assert.throws(
      () =>
        resolveClusterConfig(staging, {
          ...clusterSettings.staging,
          argocdOperations: { highAvailability: true },
        }),
      /argocdOperations\.highAvailability needs nodeGroup\.minSize of at least 3/,
    );
  });
});
