import { ExternalSecret as ExternalSecretModel } from '@kubernetes-models/external-secrets/external-secrets.io/v1/ExternalSecret';
import { Construct } from 'constructs';
import { Chart } from 'cdk8s';
import type { ApiObject } from 'cdk8s';
import { labelKeys } from '../labels.js';
import { hookAnnotations, syncWave } from '../sync-waves.js';
import { typedApiObject } from '../typed-object.js';
import { validate } from '../validation.js';
import type { ExternalSecretProps } from './external-secret-props.js';

/** Refuses an ExternalSecret that would write an empty or ambiguous Secret, or refresh at an unreadable interval. */
function validateProps(id: string, props: ExternalSecretProps): void {
  const check = validate(`ExternalSecret "${id}"`)
    .dnsLabel('name', props.name)
    .check(props.entries.length > 0, 'entries', 'must name at least one Secrets Manager value')
    .check(
      props.refreshInterval === undefined || /^([1-9]\d*[smh])+$/.test(props.refreshInterval),
      'refreshInterval',
      `must be a Go duration such as 15m or 1h (got "${props.refreshInterval}")`,
    )
    .integer('wave', props.wave, -10, 10);
  const keys = props.entries.map((entry) => entry.secretKey);
  const repeated = keys.filter((key, index) => keys.indexOf(key) !== index);
  check.check(repeated.length === 0, 'entries', `repeat the Secret key(s) ${[...new Set(repeated)].join(', ')}`);
  for (const key of Object.keys(props.templateData ?? {})) {
    check.check(/^[-._a-zA-Z0-9]+$/.test(key), 'templateData', `has an invalid Secret key "${key}"`);
    check.check(!keys.includes(key), 'templateData', `writes ${key}, already copied from entries`);
  }
  for (const entry of props.entries) {
    check.check(
      /^[-._a-zA-Z0-9]+$/.test(entry.secretKey),
      'entries.secretKey',
      `must be a valid Secret key (got "${entry.secretKey}")`,
    );
    check.check(
      entry.remoteKey !== '' && entry.property !== '',
      'entries',
      `${entry.secretKey} needs a remoteKey and a property`,
    );
  }
  check.done();
}

/**
 * An ExternalSecret that copies JSON keys of Secrets Manager secrets (through the cluster's ClusterSecretStore) into
 * one Kubernetes Secret of the same name, owned by it. Values never appear in git, labels or plain env values.
 */
export class ExternalSecret extends Construct {
  readonly apiObject: ApiObject;
  readonly secretName: string;

  constructor(scope: Construct, id: string, props: ExternalSecretProps) {
    validateProps(id, props);
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
            template: {
              engineVersion: 'v2',
              metadata: { labels: { ...Chart.of(this).labels, ...componentLabel } },
              // Templated keys are added to the copied ones (Merge), not instead of them.
              ...(props.templateData ? { mergePolicy: 'Merge' as const, data: { ...props.templateData } } : {}),
            },
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
