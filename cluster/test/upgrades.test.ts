import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { environments } from '../../platform/environments.js';
import { controllerRelease } from '../lib/addons/aws-load-balancer-controller/index.js';
import { chartPins } from '../lib/addons/charts.js';
import { crdUpgradeJobBusyboxTag } from '../lib/addons/kube-prometheus-stack/index.js';
import { checkAddonVersions, managedAddonVersions } from '../lib/kubernetes-cluster/index.js';
import {
  helmValues,
  kubernetesResources,
  resources,
  single,
  transitiveDependencies,
  useSynthesizedCluster,
} from './support/synth.js';

const synthesized = useSynthesizedCluster();
const crdName = (crd: Record<string, unknown>) => (crd.metadata as { name: string }).name;

describe('AWS Load Balancer Controller release files', () => {
  it('vendors the IAM policy and the CRDs of exactly the pinned chart version', () => {
    const release = controllerRelease(chartPins.awsLoadBalancerController.version);
    const names = release.crds.map(crdName).sort();
    for (const crd of ['ingressclassparams.elbv2.k8s.aws', 'targetgroupbindings.elbv2.k8s.aws']) {
      assert.ok(names.includes(crd), crd);
    }
    for (const crd of release.crds) assert.equal(crd.kind, 'CustomResourceDefinition');
    assert.ok(release.statements.length > 10);
  });

  it('stops synthesis when the pin moves without its policy and CRDs, naming where to get them', () => {
    assert.throws(() => {
      controllerRelease('9.9.9');
    }, /iam-policy-v9\.9\.9\.json is missing .*aws-load-balancer-controller\/tree\/v9\.9\.9/);
  });
});

describe('managed add-on pins', () => {
  it('refuses a kube-proxy build of another Kubernetes minor, and a malformed version', () => {
    assert.throws(() => {
      checkAddonVersions({ ...managedAddonVersions, kubeProxy: 'v1.35.0-eksbuild.2' }, '1.36');
    }, /kubeProxy: v1\.35\.0-eksbuild\.2 is not a build for Kubernetes 1\.36/);
    assert.throws(() => {
      checkAddonVersions({ ...managedAddonVersions, coreDns: 'latest' }, '1.36');
    }, /coreDns: "latest" is not an EKS add-on version/);
  });
});

for (const environment of environments) {
  describe(`CRDs and versions that follow their pins in ${environment.name}`, () => {
    const template = () => synthesized().environment(environment.name);

    it("applies the load balancer controller's CRDs of the pinned version before its chart, on every change", () => {
      const [chartId, chart] = single(template(), 'Custom::AWSCDK-EKS-HelmChart', {
        Chart: 'aws-load-balancer-controller',
      });
      // Helm would install crds/ once and never upgrade it: the chart skips it and the CRDs are applied here.
      assert.equal(chart.Properties.SkipCrds, true);
      const crdResources = kubernetesResources(template()).filter(([, manifests]) =>
        manifests.some((manifest) => manifest.kind === 'CustomResourceDefinition'),
      );
      assert.equal(crdResources.length, 1);
      const [crdId, crds] = crdResources[0]!;
      const pinned = controllerRelease(chartPins.awsLoadBalancerController.version).crds;
      assert.deepEqual(crds.map(crdName).sort(), pinned.map(crdName).sort());
      // (The kubectl provider labels what it applies, for pruning; the definitions themselves are the vendored ones.)
      const definitions = (list: Record<string, unknown>[]) => list.map((crd) => crd.spec);
      assert.deepEqual(definitions(crds), definitions(pinned), 'the vendored CRDs, unchanged');
      assert.ok(transitiveDependencies(template(), chartId).has(crdId), 'CRDs before the chart');
      const all = template().toJSON() as { Resources: Record<string, { Properties: Record<string, unknown> }> };
      assert.equal(all.Resources[crdId]!.Properties.Overwrite, true, 'kubectl apply over what Helm installed');
    });

    it("turns on kube-prometheus-stack's CRD upgrade job, with a pinned image", () => {
      const [, chart] = single(template(), 'Custom::AWSCDK-EKS-HelmChart', { Chart: 'kube-prometheus-stack' });
      assert.notEqual(chart.Properties.SkipCrds, true);
      const crds = helmValues(chart).crds as {
        enabled: boolean;
        upgradeJob: { enabled: boolean; forceConflicts: boolean; image: { busybox: { tag: string } } };
      };
      assert.equal(crds.enabled, true);
      assert.equal(crds.upgradeJob.enabled, true);
      assert.equal(crds.upgradeJob.forceConflicts, true);
      assert.equal(crds.upgradeJob.image.busybox.tag, crdUpgradeJobBusyboxTag);
      assert.match(crdUpgradeJobBusyboxTag, /^\d+\.\d+\.\d+$/);
    });

    it('runs vpc-cni, coredns, kube-proxy and the Pod Identity agent as managed add-ons at pinned versions', () => {
      const addons: Record<string, { version: unknown; conflicts: unknown }> = Object.fromEntries(
        resources(template(), 'AWS::EKS::Addon').map(([, addon]) => [
          String(addon.Properties.AddonName),
          { version: addon.Properties.AddonVersion, conflicts: addon.Properties.ResolveConflicts },
        ]),
      );
      assert.deepEqual(addons['vpc-cni'], { version: managedAddonVersions.vpcCni, conflicts: 'OVERWRITE' });
      assert.deepEqual(addons.coredns, { version: managedAddonVersions.coreDns, conflicts: 'OVERWRITE' });
      assert.deepEqual(addons['kube-proxy'], { version: managedAddonVersions.kubeProxy, conflicts: 'OVERWRITE' });
      assert.deepEqual(addons['eks-pod-identity-agent'], {
        version: managedAddonVersions.podIdentityAgent,
        conflicts: 'OVERWRITE',
      });
    });

    it('stays in standard support (no extended-support charges)', () => {
      const [, cluster] = single(template(), 'AWS::EKS::Cluster');
      assert.deepEqual(cluster.Properties.UpgradePolicy, { SupportType: 'STANDARD' });
    });
  });
}
