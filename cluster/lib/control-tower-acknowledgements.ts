import { Stack, Validations, type App } from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';

/**
 * The AWS Control Tower proactive controls (cfn-guard rules of @cdklabs/cdk-validator-cfnguard) this app does not
 * satisfy, each acknowledged on the constructs named here, with why. Everything else the controls found was fixed
 * (log-group KMS keys, RDS log exports and minor upgrades, RDS TLS, launch-template monitoring, KMS grant conditions).
 * A finding not listed here fails synthesis, as an unacknowledged cdk-nag finding does; an entry that matches nothing
 * fails too, so the list cannot go stale.
 */
export interface ControlTowerAcknowledgement {
  /** The cfn-guard rule name, as the report and `cdk-validator-cfnguard::<rule>` name it. */
  readonly rule: string;
  /** The Control Tower control id, for the reader. */
  readonly control: string;
  /** Construct paths inside an environment stack (`Stack/` stripped), matched exactly or by the regular expression. */
  readonly paths: readonly (string | RegExp)[];
  /** Only in these environments' stacks. @default every environment */
  readonly environments?: readonly string[];
  readonly reason: string;
}

export const controlTowerAcknowledgements: readonly ControlTowerAcknowledgement[] = [
  {
    rule: 'cloudwatch_log_group_retention_period_check',
    control: 'CT.CLOUDWATCH.PR.2',
    paths: [/.*/],
    environments: ['staging'],
    reason:
      'Staging keeps its logs for the retention set in cluster/config/environments.ts (30 days) to hold down cost; ' +
      'production keeps them 365 days, which this control asks for.',
  },
  {
    rule: 'eks_endpoint_no_public_access_check',
    control: 'CT.EKS.PR.1',
    paths: ['Kubernetes/Cluster/Resource'],
    reason:
      'The public API endpoint admits only apiPublicAccessCidrs (the office/VPN ranges, never 0.0.0.0/0, checked by ' +
      'the config schema); set it to [] for a private-only endpoint once operators reach the VPC.',
  },
  {
    rule: 'lambda_inside_vpc_check',
    control: 'CT.LAMBDA.PR.3',
    paths: [
      'Custom::VpcRestrictDefaultSGCustomResourceProvider/Handler',
      'AWSCDKCfnUtilsProviderCustomResourceProvider/Handler',
    ],
    reason:
      'aws-cdk-lib deploy-time helpers (the default security group lockdown and CfnJson): they call only AWS APIs at ' +
      'deploy time and hold no data; the kubectl handler, which talks to the cluster, does run in the VPC.',
  },
  {
    rule: 'rds_instance_multi_az_support_check',
    control: 'CT.RDS.PR.6',
    paths: ['Database/Instance/Resource'],
    environments: ['staging'],
    reason:
      'Single-AZ in staging to halve the database cost; production is Multi-AZ (platform environment production flag).',
  },
  {
    rule: 'rds_instance_no_default_ports_check',
    control: 'CT.RDS.PR.23',
    paths: ['Database/Instance/Resource'],
    reason:
      'MySQL stays on 3306, the port the NetworkPolicies of k8s/ and the server read; only the cluster and the ' +
      'rotation functions may reach it (security groups), and a non-default port hides nothing from them.',
  },
  {
    rule: 's3_bucket_default_encryption_kms_check',
    control: 'CT.S3.PR.10',
    paths: ['Baseline/Edge/AccessLogs/Resource'],
    reason: 'ALB access logs can be delivered only to buckets encrypted with SSE-S3, not SSE-KMS (ELB documentation).',
  },
  {
    rule: 's3_bucket_logging_enabled_check',
    control: 'CT.S3.PR.2',
    paths: ['Baseline/Edge/AccessLogs/Resource'],
    reason: 'This bucket is itself the access-log destination; logging it to another bucket would only log the logs.',
  },
  {
    rule: 's3_bucket_object_lock_enabled_check',
    control: 'CT.S3.PR.8',
    paths: ['Baseline/Edge/AccessLogs/Resource'],
    reason:
      'ALB access logs expire by lifecycle rule; object lock would keep them past it and is not a compliance ' +
      'requirement of this service.',
  },
  {
    rule: 's3_bucket_versioning_enabled_check',
    control: 'CT.S3.PR.3',
    paths: ['Baseline/Edge/AccessLogs/Resource'],
    reason: 'ALB log objects are written once and never overwritten; versions would only double the storage.',
  },
  {
    rule: 's3_event_notifications_enabled_check',
    control: 'CT.S3.PR.1',
    paths: ['Baseline/Edge/AccessLogs/Resource'],
    reason: 'Nothing consumes access-log arrivals; they are read on demand with Athena or the console.',
  },
  {
    rule: 'sqs_dlq_check',
    control: 'CT.SQS.PR.1',
    paths: ['Baseline/Karpenter/InterruptionQueue/Resource'],
    reason:
      "Karpenter's interruption queue carries EC2 spot and health notices that matter for minutes; a message Karpenter " +
      'cannot handle is useless later, so a dead-letter queue would only accumulate stale notices.',
  },
];

const ackId = (rule: string) => `cdk-validator-cfnguard::${rule}`;

/**
 * Runs the Control Tower rules over every stack of the app and acknowledges the findings listed above. Throws when an
 * entry matches no construct.
 */
export function addControlTowerChecks(app: App, environmentStacks: ReadonlyMap<string, Stack>): void {
  Validations.of(app).addPlugins(new CfnGuardValidator({ maxBuffer: 64 * 1024 * 1024 }));
  for (const entry of controlTowerAcknowledgements) {
    let matched = 0;
    for (const [environment, stack] of environmentStacks) {
      if (entry.environments && !entry.environments.includes(environment)) continue;
      for (const construct of stack.node.findAll()) {
        const path = construct.node.path.slice(stack.node.path.length + 1);
        if (!entry.paths.some((pattern) => (typeof pattern === 'string' ? pattern === path : pattern.test(path)))) {
          continue;
        }
        if (!construct.node.defaultChild && !isResource(construct)) continue;
        Validations.of(construct).acknowledge({ id: ackId(entry.rule), reason: `${entry.control}: ${entry.reason}` });
        matched += 1;
      }
    }
    if (matched === 0) {
      throw new Error(`control-tower-acknowledgements.ts: ${entry.rule} (${entry.control}) matches no construct`);
    }
  }
}

function isResource(construct: { node: { id: string } }): boolean {
  return construct.node.id === 'Resource' || construct.node.id === 'Handler';
}
