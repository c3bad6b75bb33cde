import { ExternalSecret as ExternalSecretModel } from '@kubernetes-models/external-secrets/external-secrets.io/v1/ExternalSecret';
import { Construct } from 'constructs';
import { Chart } from 'cdk8s';
import type { ApiObject } from 'cdk8s';
import { externalSecrets } from '../../../platform/environments.js';
import type { Environment } from '../../../platform/environments.js';
import { labelKeys } from '../labels.js';
import { hookAnnotations, syncWave } from '../sync-waves.js';
import { typedApiObject } from '../typed-object.js';
import type { ExternalSecretProps, SecretEntry } from './props.js';

/** The server's secret variables and the Secrets Manager JSON keys they come from (platform's key names). */
export const databaseSecretVariables = {
  DB_HOST: externalSecrets.databaseKeys.host,
  DB_PORT: externalSecrets.databaseKeys.port,
  DB_USER: externalSecrets.databaseKeys.username,
  DB_PASSWORD: externalSecrets.databaseKeys.password,
} as const;

export const jwtSecretVariables = {
  JWT_SECRET: externalSecrets.jwtKeys.signingKey,
} as const;

export function databaseEntries(env: Environment): SecretEntry[] {
  return Object.entries(databaseSecretVariables).map(([secretKey, property]) => ({
    secretKey,
    remoteKey: env.secrets.database,
    property,
  }));
}

export function jwtEntries(env: Environment): SecretEntry[] {
  return Object.entries(jwtSecretVariables).map(([secretKey, property]) => ({
    secretKey,
    remoteKey: env.secrets.jwt,
    property,
  }));
}

/**
 * An ExternalSecret that copies JSON keys of Secrets Manager secrets (through the cluster's ClusterSecretStore) into
 * one Kubernetes Secret of the same name, owned by it. Values never appear in git, labels or plain env values.
 */
export class ExternalSecret extends Construct {
  readonly apiObject: ApiObject;
  readonly secretName: string;

  constructor(scope: Construct, id: string, props: ExternalSecretProps) {
    super(scope, id);
    this.secretName = props.name;
    const componentLabel = { [labelKeys.component]: props.component };
    const annotations = props.hook
      ? hookAnnotations(props.hook.hook, props.hook.wave, props.hook.deletePolicies)
      : syncWave(props.wave ?? 0);

    this.apiObject = typedApiObject(
      this,
      'resource',
      new ExternalSecretModel({
        metadata: { name: props.name, labels: componentLabel, annotations },
        spec: {
          refreshInterval: props.refreshInterval ?? '15m',
          secretStoreRef: { kind: 'ClusterSecretStore', name: props.clusterSecretStore },
          target: {
            name: props.name,
            creationPolicy: 'Owner',
            deletionPolicy: 'Retain',
            // The Secret carries the same recommended labels as everything else of the release.
            template: { engineVersion: 'v2', metadata: { labels: { ...Chart.of(this).labels, ...componentLabel } } },
          },
          data: props.entries.map((entry) => ({
            secretKey: entry.secretKey,
            remoteRef: { key: entry.remoteKey, property: entry.property },
          })),
        },
      }),
    );
  }
}
