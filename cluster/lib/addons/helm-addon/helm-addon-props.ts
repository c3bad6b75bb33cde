import type { Duration } from 'aws-cdk-lib';
import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import type * as iam from 'aws-cdk-lib/aws-iam';

/** A Helm chart pinned to one version: an upgrade is a reviewed change of this record (cluster/lib/addons/charts.ts). */
export interface HelmChartPin {
  readonly chart: string;
  readonly repository: string;
  readonly version: string;
  readonly release: string;
  readonly namespace: string;
  /** Where the pinned version was checked: the chart's tag or commit, and when it was released. */
  readonly source: string;
}

/** An AWS identity for the chart's service account, through EKS Pod Identity. */
export interface PodIdentityProps {
  /** The ServiceAccount the chart creates (the chart must be told this name). */
  readonly serviceAccount: string;
  /** Everything the role may do; nothing else is attached. */
  readonly statements: readonly iam.PolicyStatement[];
}

export interface HelmAddonProps {
  readonly cluster: eks.ICluster;
  readonly pin: HelmChartPin;
  /** Chart values; `null` removes a chart default (Helm semantics). @default - the chart's defaults */
  readonly values?: Readonly<Record<string, unknown>>;
  /**
   * An IAM role that EKS Pod Identity hands to the chart's service account (and to no other): its trust policy names
   * the cluster, the namespace and the service account.
   * @default - no AWS identity
   */
  readonly podIdentity?: PodIdentityProps;
  /**
   * A ServiceAccount created here with an IRSA role holding exactly these statements, for software whose AWS SDK
   * cannot use EKS Pod Identity (prefer `podIdentity`); the chart must be told to use it (serviceAccount.create=false,
   * serviceAccount.name).
   * @default - none
   */
  readonly serviceAccount?: { readonly name: string; readonly statements: readonly iam.PolicyStatement[] };
  /**
   * Skip the chart's crds/ folder. Helm installs those once and never upgrades them: an add-on whose CRDs must follow
   * its pin applies them itself (addCrds) and sets this.
   * @default false
   */
  readonly skipCrds?: boolean;
  /** @default Duration.minutes(15) */
  readonly timeout?: Duration;
}
