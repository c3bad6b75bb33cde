import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { HelmChartPin } from '../helm-addon/index.js';

export interface ExternalSecretsOperatorProps {
  readonly cluster: eks.ICluster;
  /** The only secrets the operator may read. */
  readonly secrets: readonly secretsmanager.ISecret[];
  /** Namespaces whose ExternalSecrets may use the store. */
  readonly consumerNamespaces: readonly string[];
  /** @default chartPins.externalSecrets */
  readonly pin?: HelmChartPin;
  /** @default platform.externalSecrets.clusterSecretStore */
  readonly clusterSecretStoreName?: string;
}
