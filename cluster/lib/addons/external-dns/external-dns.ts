import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { monitoring } from '../../../../platform/environments.js';
import { chartPins } from '../charts.js';
import { HelmAddon } from '../helm-addon/index.js';
import type { ExternalDnsProps } from './external-dns-props.js';
import { acknowledgeExternalDnsFindings } from './nag-acknowledgements.js';

export const externalDnsServiceAccount = 'external-dns';

const defaultProps = { policy: 'sync' } satisfies Partial<ExternalDnsProps>;

/**
 * external-dns: keeps the Ingress host's Route 53 alias pointed at the ALB the load balancer controller made, so a
 * recreated ALB is not an outage until someone edits DNS. It watches Ingresses only, works only in the
 * environment's hosted zone (zone id and domain filters, and an IAM policy that names that zone alone), and
 * marks what it owns with TXT records carrying the cluster's owner id.
 */
export class ExternalDns extends Construct {
  readonly addon: HelmAddon;

  constructor(scope: Construct, id: string, props: ExternalDnsProps) {
    super(scope, id);
    const { cluster, hostedZone, ownerId, policy, pin } = { ...defaultProps, pin: chartPins.externalDns, ...props };
    if (!/^Z[A-Z0-9]{1,32}$/.test(hostedZone.id)) {
      throw new Error(`ExternalDns hostedZone.id "${hostedZone.id}" is not a Route 53 hosted zone id`);
    }
    const partition = Stack.of(this).partition;
    this.addon = new HelmAddon(this, 'Addon', {
      cluster,
      pin,
      values: {
        provider: { name: 'aws' },
        env: [{ name: 'AWS_DEFAULT_REGION', value: Stack.of(this).region }],
        sources: ['ingress'],
        policy,
        registry: 'txt',
        txtOwnerId: ownerId,
        domainFilters: [hostedZone.name],
        extraArgs: [`--zone-id-filter=${hostedZone.id}`, '--aws-zone-type=public'],
        serviceAccount: { create: true, name: externalDnsServiceAccount },
        serviceMonitor: { enabled: true, additionalLabels: { ...monitoring.prometheusSelectorLabels } },
      },
      podIdentity: {
        serviceAccount: externalDnsServiceAccount,
        statements: [
          new iam.PolicyStatement({
            sid: 'ChangeRecordsOfTheEnvironmentZone',
            actions: [
              'route53:ChangeResourceRecordSets',
              'route53:ListResourceRecordSets',
              'route53:ListTagsForResources',
            ],
            resources: [`arn:${partition}:route53:::hostedzone/${hostedZone.id}`],
          }),
          // Zone discovery: ListHostedZones has no resource-level permission; the zone filter keeps it to one zone.
          new iam.PolicyStatement({
            sid: 'ListHostedZones',
            actions: ['route53:ListHostedZones'],
            resources: ['*'],
          }),
        ],
      },
    });
    acknowledgeExternalDnsFindings(this.addon);
  }
}
