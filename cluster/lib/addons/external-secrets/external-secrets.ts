import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { externalSecrets, monitoring } from '../../../../platform/environments.js';
import { chartPins } from '../charts.js';
import { HelmAddon } from '../helm-addon/index.js';
import type { ExternalSecretsOperatorProps } from './external-secrets-props.js';

/** The operator's service account (EKS Pod Identity) and the only IAM permissions it has. */
export const externalSecretsServiceAccount = 'external-secrets';
export const secretReadActions = ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'] as const;

const defaultProps = {
  pin: chartPins.externalSecrets,
  clusterSecretStoreName: externalSecrets.clusterSecretStore,
};

/**
 * External Secrets Operator by Helm, with an EKS Pod Identity role that may read exactly the given secrets, and the
 * ClusterSecretStore the ExternalSecrets in k8s/ name (it uses the controller's own credentials: no auth block).
 */
export class ExternalSecretsOperator extends Construct {
  readonly addon: HelmAddon;

  constructor(scope: Construct, id: string, props: ExternalSecretsOperatorProps) {
    super(scope, id);
    const { cluster, secrets, consumerNamespaces, pin, clusterSecretStoreName } = { ...defaultProps, ...props };
    if (secrets.length === 0) throw new Error('ExternalSecretsOperator: secrets must name at least one secret');
    this.addon = new HelmAddon(this, 'Addon', {
      cluster,
      pin,
      values: {
        installCRDs: true,
        serviceAccount: { create: true, name: externalSecretsServiceAccount },
        // Sync failures feed the platform alerts (cluster/lib/addons/platform-alerts).
        serviceMonitor: { enabled: true, additionalLabels: { ...monitoring.prometheusSelectorLabels } },
      },
      podIdentity: {
        serviceAccount: externalSecretsServiceAccount,
        statements: [
          new iam.PolicyStatement({
            sid: 'ReadApplicationSecrets',
            actions: [...secretReadActions],
            resources: secrets.map((secret) => secret.secretArn),
          }),
        ],
      },
    });

    this.addon.addManifest('ClusterSecretStore', {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ClusterSecretStore',
      metadata: { name: clusterSecretStoreName },
      spec: {
        // Only the service's namespaces may pull these secrets through the store.
        conditions: [{ namespaces: [...consumerNamespaces] }],
        // No auth: the controller's Pod Identity credentials (the SDK's default chain) read the secrets.
        provider: { aws: { service: 'SecretsManager', region: Stack.of(this).region } },
      },
    });
  }
}
