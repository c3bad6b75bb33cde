import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join, matchesGlob } from 'node:path';
import { describe, it } from 'node:test';
import { argocd, environments, gitRepository, monitoring } from '../../platform/environments.js';
import { service } from '../../platform/service.js';
import { clusterSettings } from '../config/environments.js';
import { serviceProjectSpec } from '../../platform/service-project.js';
import { argoCdHelmValues, argoCdLocalUrl, argoCdPortForwardCommand } from '../lib/addons/argocd/index.js';
import { loadBalancerControllerServiceAccount } from '../lib/addons/aws-load-balancer-controller/index.js';
import { chartPins } from '../lib/addons/charts.js';
import {
  helmValues,
  assertPodIdentityTrust,
  podIdentity,
  kubernetesManifests,
  kubernetesResourceOfKind,
  kubernetesResources,
  repoRoot,
  resources,
  single,
  useSynthesizedCluster,
  transitiveDependencies,
  type Resource,
  type SynthesizedCluster,
} from './support/synth.js';

const synthesized = useSynthesizedCluster();

const EXACT_VERSION = /^\d+\.\d+\.\d+$/;

function chart(template: ReturnType<SynthesizedCluster['environment']>, name: string): [string, Resource] {
  return single(template, 'Custom::AWSCDK-EKS-HelmChart', { Chart: name });
}

for (const environment of environments) {
  const settings = clusterSettings[environment.name]!;

  describe(`Helm add-ons of ${environment.name}`, () => {
    const template = () => synthesized().environment(environment.name);

    it('installs every pinned add-on, each pinned to an exact chart version', () => {
      const installed = resources(template(), 'Custom::AWSCDK-EKS-HelmChart').map(([, resource]) => ({
        chart: resource.Properties.Chart,
        repository: resource.Properties.Repository,
        version: resource.Properties.Version,
        namespace: resource.Properties.Namespace,
        release: resource.Properties.Release,
      }));
      const expected = Object.values(chartPins).map(({ source: _source, ...pin }) => ({ ...pin }));
      const byChart = (a: { chart: unknown }, b: { chart: unknown }) => String(a.chart).localeCompare(String(b.chart));
      assert.deepEqual(installed.sort(byChart), expected.sort(byChart));
      for (const { chart: name, version } of installed) assert.match(String(version), EXACT_VERSION, String(name));
    });

    it('runs the AWS Load Balancer Controller v3 with a Pod Identity role holding its published policy', () => {
      const [, controller] = chart(template(), 'aws-load-balancer-controller');
      assert.match(String(controller.Properties.Version), /^3\./);
      const values = helmValues(controller);
      assert.deepEqual(values.serviceAccount, { create: true, name: loadBalancerControllerServiceAccount });
      assert.equal(values.region, environment.aws.region);
      assert.equal(values.vpcId, '<token>');
      assert.equal(values.enableServiceMutatorWebhook, false);
      const identity = podIdentity(template(), 'kube-system', loadBalancerControllerServiceAccount);
      assertPodIdentityTrust(identity, 'kube-system', loadBalancerControllerServiceAccount);
      const actions = identity.statements.flatMap((statement) => [statement.Action].flat());
      for (const action of ['elasticloadbalancing:CreateLoadBalancer', 'ec2:AuthorizeSecurityGroupIngress']) {
        assert.ok(actions.includes(action), action);
      }
      // The chart, started with its credentials in place.
      const [chartId] = chart(template(), 'aws-load-balancer-controller');
      assert.ok(transitiveDependencies(template(), chartId).has(identity.roleId));
    });

    it('points kube-prometheus-stack at the labels k8s/ puts on ServiceMonitors, rules and dashboards', () => {
      const [, stack] = chart(template(), 'kube-prometheus-stack');
      assert.equal(stack.Properties.Release, monitoring.prometheusSelectorLabels.release);
      assert.equal(stack.Properties.Namespace, monitoring.namespace);
      const values = helmValues(stack) as {
        prometheus: { prometheusSpec: Record<string, unknown> };
        grafana: { adminPassword: unknown; sidecar: { dashboards: Record<string, unknown> } };
      };
      const spec = values.prometheus.prometheusSpec;
      assert.deepEqual(spec.serviceMonitorSelector, { matchLabels: monitoring.prometheusSelectorLabels });
      assert.deepEqual(spec.ruleSelector, { matchLabels: monitoring.prometheusSelectorLabels });
      assert.deepEqual(spec.serviceMonitorNamespaceSelector, {}, 'every namespace');
      const [[label, labelValue]] = Object.entries(monitoring.grafanaDashboardLabels) as [[string, string]];
      assert.deepEqual(values.grafana.sidecar.dashboards, {
        enabled: true,
        label,
        labelValue,
        searchNamespace: 'ALL',
      });
      // Empty replaces the chart's public default password; Grafana generates one in the cluster.
      assert.equal(values.grafana.adminPassword, '');
    });

    it('runs metrics-server for the HPAs of charts-out/: pinned chart, two replicas on different nodes', () => {
      const [, metricsServer] = chart(template(), 'metrics-server');
      assert.deepEqual(
        {
          repository: metricsServer.Properties.Repository,
          version: metricsServer.Properties.Version,
          namespace: metricsServer.Properties.Namespace,
          release: metricsServer.Properties.Release,
        },
        {
          repository: 'https://kubernetes-sigs.github.io/metrics-server/',
          version: '3.14.0',
          namespace: 'kube-system',
          release: 'metrics-server',
        },
      );
      assert.equal(metricsServer.Properties.Version, chartPins.metricsServer.version);
      const values = helmValues(metricsServer) as {
        replicas: number;
        podDisruptionBudget: unknown;
        topologySpreadConstraints: { topologyKey: string; whenUnsatisfiable: string; labelSelector: unknown }[];
      };
      assert.equal(values.replicas, 2);
      assert.deepEqual(values.podDisruptionBudget, { enabled: true, minAvailable: 1 });
      const byNode = values.topologySpreadConstraints.find((c) => c.topologyKey === 'kubernetes.io/hostname');
      assert.equal(byNode?.whenUnsatisfiable, 'DoNotSchedule');
      // The chart's own pod labels, or the constraint would count no pod.
      assert.deepEqual(byNode.labelSelector, {
        matchLabels: { 'app.kubernetes.io/name': 'metrics-server', 'app.kubernetes.io/instance': 'metrics-server' },
      });
      // Every node group has at least two nodes, so both replicas can be scheduled.
      assert.ok(settings.nodeGroup.minSize >= values.replicas);
      // kube-system exists in every cluster: the add-on must not apply (or, on removal, delete) it.
      const namespaces = kubernetesManifests(template()).filter((m) => m.kind === 'Namespace');
      assert.ok(!namespaces.some((m) => (m.metadata as { name: string }).name === 'kube-system'));
    });

    it('keeps every password out of the template', () => {
      const [, argo] = chart(template(), 'argo-cd');
      const values = JSON.stringify(helmValues(argo));
      assert.doesNotMatch(values, /argocdServerAdminPassword|\$2[aby]\$|password/i);
      const cm = (helmValues(argo) as { configs: { cm: Record<string, unknown> } }).configs.cm;
      assert.equal(cm['admin.enabled'], settings.argocd.adminEnabled);
      assert.equal(cm['users.anonymous.enabled'], false);
    });

    it("sets Argo CD's URL to where the port-forward serves it (SSO redirects are built from it)", () => {
      const cm = (helmValues(chart(template(), 'argo-cd')[1]) as { configs: { cm: Record<string, unknown> } }).configs
        .cm;
      assert.equal(cm.url, argoCdLocalUrl);
      assert.match(argoCdPortForwardCommand, new RegExp(` ${new URL(argoCdLocalUrl).port}:443$`));
    });

    it('bootstraps Argo CD with a root Application that syncs argocd/ from the configured repository', () => {
      const manifests = kubernetesManifests(template());
      const root = manifests.find((m) => m.kind === 'Application') as {
        metadata: { namespace: string };
        spec: {
          project: string;
          source: { repoURL: string; targetRevision: string; path: string; directory: { include: string } };
          destination: { namespace: string };
        };
      };
      assert.equal(root.metadata.namespace, argocd.namespace);
      assert.deepEqual(
        {
          repoURL: root.spec.source.repoURL,
          targetRevision: root.spec.source.targetRevision,
          path: root.spec.source.path,
        },
        {
          repoURL: settings.argocd.repoUrl,
          targetRevision: settings.argocd.targetRevision,
          path: gitRepository.argocdDir,
        },
      );
      assert.equal(settings.argocd.repoUrl, gitRepository.url);

      const project = manifests.find(
        (m) => m.kind === 'AppProject' && (m.metadata as { name: string }).name === root.spec.project,
      ) as {
        spec: {
          sourceRepos: string[];
          destinations: { namespace: string }[];
          clusterResourceWhitelist: unknown[];
          namespaceResourceWhitelist: unknown[];
        };
      };
      assert.deepEqual(project.spec.sourceRepos, [settings.argocd.repoUrl]);
      assert.deepEqual(
        project.spec.destinations.map((d) => d.namespace),
        [argocd.namespace],
      );
      assert.deepEqual(project.spec.clusterResourceWhitelist, [], 'the root may create no cluster-scoped object');
      assert.deepEqual(
        project.spec.namespaceResourceWhitelist,
        [{ group: 'argoproj.io', kind: 'Application' }],
        'the root may create Applications and nothing else (no AppProject: those come from cluster/)',
      );
    });

    it("creates the service's AppProject for this environment only, and locks the default project", () => {
      const projects = new Map(
        kubernetesManifests(template())
          .filter((m) => m.kind === 'AppProject')
          .map((m) => [(m.metadata as { name: string }).name, m.spec as Record<string, unknown>]),
      );
      assert.deepEqual(projects.get(argocd.project), serviceProjectSpec(environment, settings.argocd.repoUrl));
      assert.deepEqual(
        (projects.get(argocd.project)!.destinations as { namespace: string }[])[0]!.namespace,
        environment.namespace,
      );
      const locked = projects.get('default')!;
      assert.deepEqual([locked.sourceRepos, locked.destinations, locked.clusterResourceWhitelist], [[], [], []]);
      assert.deepEqual(locked.namespaceResourceBlacklist, [{ group: '*', kind: '*' }]);
      const root = kubernetesResourceOfKind(template(), 'Application');
      const rootDependencies = transitiveDependencies(template(), root);
      for (const [id, manifests] of kubernetesResources(template())) {
        if (manifests.some((m) => m.kind === 'AppProject')) assert.ok(rootDependencies.has(id), `root waits for ${id}`);
      }
    });

    it('refuses at admission any Application in argocd outside the service project, except the root', () => {
      const manifests = kubernetesManifests(template());
      const policy = manifests.find((m) => m.kind === 'ValidatingAdmissionPolicy') as {
        metadata: { name: string };
        spec: {
          failurePolicy: string;
          matchConstraints: {
            namespaceSelector: unknown;
            resourceRules: { resources: string[]; operations: string[] }[];
          };
          validations: { expression: string }[];
        };
      };
      const binding = manifests.find((m) => m.kind === 'ValidatingAdmissionPolicyBinding') as {
        spec: { policyName: string; validationActions: string[] };
      };
      assert.equal(policy.spec.failurePolicy, 'Fail');
      assert.deepEqual(policy.spec.matchConstraints.namespaceSelector, {
        matchLabels: { 'kubernetes.io/metadata.name': argocd.namespace },
      });
      assert.deepEqual(policy.spec.matchConstraints.resourceRules[0]!.resources, ['applications']);
      assert.deepEqual(policy.spec.matchConstraints.resourceRules[0]!.operations.sort(), ['CREATE', 'UPDATE']);
      const rootName = `${service.name}-${environment.name}-root`;
      assert.equal(
        policy.spec.validations[0]!.expression,
        `object.metadata.name == '${rootName}' ? object.spec.project == '${rootName}' : object.spec.project == '${argocd.project}'`,
      );
      assert.deepEqual(binding.spec, { policyName: policy.metadata.name, validationActions: ['Deny'] });
      const rootId = kubernetesResourceOfKind(template(), 'Application');
      assert.ok(
        transitiveDependencies(template(), rootId).has(
          kubernetesResourceOfKind(template(), 'ValidatingAdmissionPolicy'),
        ),
      );
    });

    it("makes the root apply only this environment's Application from argocd/", () => {
      const root = kubernetesManifests(template()).find((m) => m.kind === 'Application') as {
        spec: { source: { directory: { include: string } } };
      };
      const files = readdirSync(join(repoRoot, gitRepository.argocdDir));
      const selected = files.filter((file) => matchesGlob(file, root.spec.source.directory.include)).sort();
      assert.deepEqual(selected, [`Application.${service.name}-${environment.name}.yaml`]);
    });

    it('creates the root Application only after the controllers and CRDs its first sync needs', () => {
      const rootId = kubernetesResourceOfKind(template(), 'Application');
      const dependencies = transitiveDependencies(template(), rootId);
      const prerequisites = [
        'aws-load-balancer-controller',
        'external-secrets',
        'kube-prometheus-stack',
        'metrics-server',
      ];
      for (const name of [...prerequisites, 'argo-cd']) {
        const [chartId] = chart(template(), name);
        assert.ok(dependencies.has(chartId), `root Application waits for ${name}`);
      }
      const storeId = kubernetesResourceOfKind(template(), 'ClusterSecretStore');
      assert.ok(dependencies.has(storeId), 'root Application waits for the ClusterSecretStore');
      const [nodeGroupId] = single(template(), 'AWS::EKS::Nodegroup');
      for (const [chartId] of resources(template(), 'Custom::AWSCDK-EKS-HelmChart')) {
        assert.ok(transitiveDependencies(template(), chartId).has(nodeGroupId), `${chartId} waits for nodes`);
      }
    });
  });
}

describe('Argo CD single sign-on', () => {
  const sso = { name: 'SSO', issuer: 'https://sso.example.com', clientId: 'argocd' };
  type Configs = { configs: { cm: Record<string, string>; rbac: Record<string, string> } };

  it('binds the configured SSO groups to role:admin and grants nobody else anything', () => {
    const { configs } = argoCdHelmValues({
      adminEnabled: false,
      oidc: { ...sso, adminGroups: ['platform-admins', 'sre'] },
    }) as Configs;
    assert.equal(configs.cm['admin.enabled'], false);
    assert.deepEqual(JSON.parse(configs.cm['oidc.config']!), {
      name: 'SSO',
      issuer: 'https://sso.example.com',
      clientID: 'argocd',
      clientSecret: '$oidc.clientSecret',
      requestedScopes: ['openid', 'profile', 'email', 'groups'],
    });
    assert.equal(configs.rbac['policy.default'], '');
    assert.equal(configs.rbac['policy.csv'], 'g, platform-admins, role:admin\ng, sre, role:admin');
  });

  it('writes no SSO setting and no policy without SSO', () => {
    const { configs } = argoCdHelmValues({ adminEnabled: true }) as Configs;
    assert.equal(configs.cm['oidc.config'], undefined);
    assert.deepEqual(configs.rbac, { 'policy.default': '' });
  });
});
