import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import type { HelmChartPin } from '../helm-addon/index.js';

export interface ExternalDnsProps {
  readonly cluster: eks.ICluster;
  /** The environment's public hosted zone: the only zone external-dns may read or change. */
  readonly hostedZone: { readonly id: string; readonly name: string };
  /** Owner id in the TXT registry records: external-dns changes only records it created with this id. */
  readonly ownerId: string;
  /**
   * `sync` also deletes the records of Ingresses that are gone (only records this owner created); `upsert-only`
   * never deletes.
   * @default 'sync'
   */
  readonly policy?: 'sync' | 'upsert-only';
  /** @default chartPins.externalDns */
  readonly pin?: HelmChartPin;
}
