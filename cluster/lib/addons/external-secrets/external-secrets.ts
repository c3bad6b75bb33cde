import { Stack } from 'aws-cdk-lib';
import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { externalSecrets } from '../../../../platform/environments.js';
import { chartPins } from '../charts.js';
import { HelmAddon, type HelmChartPin } from '../helm-addon/index.js';

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

/** The operator's service account (IRSA) and the only IAM permissions it has. */
export const externalSecretsServiceAccount = 'external-secrets';
export const secretReadActions = ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'] as const;

/**
 * External Secrets Operator by Helm, with an IAM role that may read exactly the given secrets, and the
 * ClusterSecretStore the ExternalSecrets in k8s/ name.
 */
export class ExternalSecretsOperator extends Construct {
  readonly addon: HelmAddon;

  constructor(scope: Construct, id: string, props: ExternalSecretsOperatorProps) {
    super(scope, id);
    const pin = props.pin ?? chartPins.externalSecrets;
    this.addon = new HelmAddon(this, 'Addon', {
      cluster: props.cluster,
      pin,
      values: {
        installCRDs: true,
        serviceAccount: { create: false, name: externalSecretsServiceAccount },
      },
      serviceAccount: {
        name: externalSecretsServiceAccount,
        statements: [
          new iam.PolicyStatement({
            sid: 'ReadApplicationSecrets',
            actions: [...secretReadActions],
            resources: props.secrets.map((secret) => secret.secretArn),
          }),
        ],
      },
    });

    this.addon.addManifest('ClusterSecretStore', {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ClusterSecretStore',
      metadata: { name: props.clusterSecretStoreName ?? externalSecrets.clusterSecretStore },
      spec: {
        // Only the service's namespaces may pull these secrets through the store.
        conditions: [{ namespaces: [...props.consumerNamespaces] }],
        provider: {
          aws: {
            service: 'SecretsManager',
            region: Stack.of(this).region,
            auth: {
              jwt: { serviceAccountRef: { name: externalSecretsServiceAccount, namespace: pin.namespace } },
            },
          },
        },
      },
    });
  }
}
