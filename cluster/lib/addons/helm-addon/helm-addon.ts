import { Duration, Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { HelmAddonProps } from './helm-addon-props.js';

/** Namespaces every cluster has from the start (the API server creates them and refuses to delete them). */
const kubernetesNamespaces: ReadonlySet<string> = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

const defaultProps = { timeout: Duration.minutes(15), skipCrds: false } satisfies Partial<HelmAddonProps>;

/**
 * The one place an add-on is deployed, in the manner of EKS Blueprints' HelmAddOn: its namespace (unless Kubernetes
 * creates it, such as kube-system), its AWS identity (EKS Pod Identity role and association, or IRSA where the
 * software cannot use Pod Identity), its pinned Helm chart, and the manifests that need the chart's CRDs, in that
 * order.
 */
export class HelmAddon extends Construct {
  readonly chart: eks.HelmChart;
  /** The role Pod Identity gives the chart's service account. */
  readonly role?: iam.Role;
  /** The IRSA service account (the `serviceAccount` prop). */
  readonly serviceAccount?: eks.ServiceAccount;
  private readonly cluster: eks.ICluster;
  private readonly namespaceManifest?: eks.KubernetesManifest;

  constructor(scope: Construct, id: string, props: HelmAddonProps) {
    super(scope, id);
    const { cluster, pin, values, podIdentity, serviceAccount, timeout, skipCrds } = { ...defaultProps, ...props };
    if (podIdentity && serviceAccount) {
      throw new Error(`HelmAddon ${pin.release}: give podIdentity or serviceAccount (IRSA), not both`);
    }
    this.cluster = cluster;
    // The namespaces Kubernetes creates itself are never ours to apply or (on removal) to delete.
    this.namespaceManifest = kubernetesNamespaces.has(pin.namespace)
      ? undefined
      : new eks.KubernetesManifest(this, 'Namespace', {
          cluster,
          manifest: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: pin.namespace } }],
          overwrite: true,
        });

    this.chart = new eks.HelmChart(this, 'Chart', {
      cluster,
      chart: pin.chart,
      repository: pin.repository,
      version: pin.version,
      release: pin.release,
      namespace: pin.namespace,
      values: values ? { ...values } : undefined,
      createNamespace: false,
      skipCrds,
      wait: true,
      atomic: true,
      timeout,
    });
    if (this.namespaceManifest) this.chart.node.addDependency(this.namespaceManifest);

    if (podIdentity) {
      // Only this cluster's pods running as this namespace/service account may assume the role (EKS Pod Identity
      // passes them as session tags).
      this.role = new iam.Role(this, 'PodIdentityRole', {
        description: `EKS Pod Identity of ${pin.namespace}/${podIdentity.serviceAccount} (${pin.release})`,
        // sts:AssumeRole and sts:TagSession, in one statement under these conditions.
        assumedBy: new iam.ServicePrincipal('pods.eks.amazonaws.com')
          .withConditions({
            StringEquals: {
              'aws:SourceAccount': Stack.of(this).account,
              'aws:RequestTag/eks-cluster-name': cluster.clusterName,
              'aws:RequestTag/kubernetes-namespace': pin.namespace,
              'aws:RequestTag/kubernetes-service-account': podIdentity.serviceAccount,
            },
          })
          .withSessionTags(),
      });
      for (const statement of podIdentity.statements) this.role.addToPolicy(statement);
      const association = new eks.CfnPodIdentityAssociation(this, 'PodIdentityAssociation', {
        clusterName: cluster.clusterName,
        namespace: pin.namespace,
        serviceAccount: podIdentity.serviceAccount,
        roleArn: this.role.roleArn,
      });
      // Credentials are injected when a pod starts: the association, the role's policy and the agent come first.
      this.chart.node.addDependency(association, this.role);
      if (cluster.eksPodIdentityAgent) this.chart.node.addDependency(cluster.eksPodIdentityAgent);
    }

    if (serviceAccount) {
      this.serviceAccount = new eks.ServiceAccount(this, 'ServiceAccount', {
        cluster,
        name: serviceAccount.name,
        namespace: pin.namespace,
        identityType: eks.IdentityType.IRSA,
      });
      if (this.namespaceManifest) this.serviceAccount.node.addDependency(this.namespaceManifest);
      for (const statement of serviceAccount.statements) this.serviceAccount.addToPrincipalPolicy(statement);
      this.chart.node.addDependency(this.serviceAccount);
    }
  }

  /** Manifests applied once the chart (and its CRDs and webhooks) is installed. */
  addManifest(id: string, ...manifest: Record<string, unknown>[]): eks.KubernetesManifest {
    const resource = new eks.KubernetesManifest(this, id, { cluster: this.cluster, manifest });
    resource.node.addDependency(this.chart);
    return resource;
  }

  /**
   * CustomResourceDefinitions applied before the chart, on every change: what keeps CRDs at the pinned version
   * (Helm never upgrades a chart's crds/). Use with skipCrds.
   */
  addCrds(id: string, crds: readonly Record<string, unknown>[]): eks.KubernetesManifest {
    const resource = new eks.KubernetesManifest(this, id, {
      cluster: this.cluster,
      manifest: [...crds],
      overwrite: true,
    });
    this.chart.node.addDependency(resource);
    return resource;
  }
}
