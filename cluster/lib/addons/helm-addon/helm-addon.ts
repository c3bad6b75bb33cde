import { Duration } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** Namespaces every cluster has from the start (the API server creates them and refuses to delete them). */
const kubernetesNamespaces: ReadonlySet<string> = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

/** A Helm chart pinned to one version: an upgrade is a reviewed change of this record. */
export interface HelmChartPin {
  readonly chart: string;
  readonly repository: string;
  readonly version: string;
  readonly release: string;
  readonly namespace: string;
}

export interface HelmAddonProps {
  readonly cluster: eks.ICluster;
  readonly pin: HelmChartPin;
  /** Chart values; `null` removes a chart default (Helm semantics). */
  readonly values?: Readonly<Record<string, unknown>>;
  /**
   * A Kubernetes ServiceAccount whose IAM role (IRSA) holds exactly these statements; the chart must be told to use
   * it (serviceAccount.create=false, serviceAccount.name).
   */
  readonly serviceAccount?: { readonly name: string; readonly statements: readonly iam.PolicyStatement[] };
  /** @default Duration.minutes(15) */
  readonly timeout?: Duration;
}

/**
 * The one place an add-on is deployed: its namespace (unless one Kubernetes creates itself, such as kube-system), its
 * IRSA service account (if any), its pinned Helm chart, and the manifests that need the chart's CRDs, in that order.
 */
export class HelmAddon extends Construct {
  readonly chart: eks.HelmChart;
  readonly serviceAccount?: eks.ServiceAccount;
  private readonly cluster: eks.ICluster;

  constructor(scope: Construct, id: string, props: HelmAddonProps) {
    super(scope, id);
    this.cluster = props.cluster;
    // The namespaces Kubernetes creates itself are never ours to apply or (on removal) to delete.
    const namespace = kubernetesNamespaces.has(props.pin.namespace)
      ? undefined
      : new eks.KubernetesManifest(this, 'Namespace', {
          cluster: props.cluster,
          manifest: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: props.pin.namespace } }],
          overwrite: true,
        });

    this.chart = new eks.HelmChart(this, 'Chart', {
      cluster: props.cluster,
      chart: props.pin.chart,
      repository: props.pin.repository,
      version: props.pin.version,
      release: props.pin.release,
      namespace: props.pin.namespace,
      values: props.values ? { ...props.values } : undefined,
      createNamespace: false,
      wait: true,
      atomic: true,
      timeout: props.timeout ?? Duration.minutes(15),
    });
    if (namespace) this.chart.node.addDependency(namespace);

    if (props.serviceAccount) {
      const serviceAccount = new eks.ServiceAccount(this, 'ServiceAccount', {
        cluster: props.cluster,
        name: props.serviceAccount.name,
        namespace: props.pin.namespace,
        identityType: eks.IdentityType.IRSA,
      });
      if (namespace) serviceAccount.node.addDependency(namespace);
      for (const statement of props.serviceAccount.statements) serviceAccount.addToPrincipalPolicy(statement);
      this.chart.node.addDependency(serviceAccount);
      this.serviceAccount = serviceAccount;
    }
  }

  /** Manifests applied once the chart (and its CRDs and webhooks) is installed. */
  addManifest(id: string, ...manifest: Record<string, unknown>[]): eks.KubernetesManifest {
    const resource = new eks.KubernetesManifest(this, id, { cluster: this.cluster, manifest });
    resource.node.addDependency(this.chart);
    return resource;
  }
}
