import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { z } from 'zod';
import type { Environment } from '../../platform/environments.js';
import { environmentSubnets } from '../../platform/network.js';
import { baselineSettingsShape } from './baseline-schema.js';
import { baselineProblems } from './production-checks.js';

/** CloudWatch Logs accepts only these retention periods (days). */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(\d|[12]\d|3[0-2])$/;
const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

const ipv4Cidr = z.string().regex(IPV4_CIDR, 'must be an IPv4 CIDR block such as 203.0.113.0/24');

const instanceType = z
  .string()
  .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'must be an EC2 instance type such as m7i.large (no "db." prefix)');

const nodeGroupSchema = z
  .object({
    /** Instance types of the managed node group; x86_64, the release workflow builds linux/amd64 images. */
    instanceTypes: z.array(instanceType).min(1, 'needs at least one instance type'),
    /** At least one node per AZ used, so zone-spread pods always have somewhere to run. */
    minSize: z.int().min(2, 'must be at least 2: the node group spans at least two availability zones'),
    desiredSize: z.int().min(2),
    maxSize: z.int().max(100),
    diskSizeGiB: z.int().min(20).max(1000).default(50),
  })
  .refine((group) => group.minSize <= group.desiredSize && group.desiredSize <= group.maxSize, {
    message: 'must satisfy minSize <= desiredSize <= maxSize',
  });

const databaseSchema = z
  .object({
    /** RDS instance class without the "db." prefix, e.g. t4g.medium. */
    instanceClass: instanceType,
    allocatedStorageGiB: z.int().min(20).max(16_384),
    /** Storage autoscaling ceiling. */
    maxAllocatedStorageGiB: z.int().max(16_384),
    backupRetentionDays: z
      .int()
      .min(7, 'must be at least 7 days')
      .max(35, 'RDS keeps automated backups at most 35 days'),
  })
  .refine((db) => db.maxAllocatedStorageGiB >= db.allocatedStorageGiB, {
    message: 'maxAllocatedStorageGiB must be at least allocatedStorageGiB',
    path: ['maxAllocatedStorageGiB'],
  });

const argoCdSchema = z
  .object({
    /** Repository Argo CD syncs; defaults to platform.gitRepository.url. */
    repoUrl: z.url({ protocol: /^https$/, error: 'must be an https:// git URL' }),
    targetRevision: z.string().min(1),
    /**
     * The built-in admin user. When enabled its password is generated in the cluster (argocd-initial-admin-secret),
     * never written into the template. Turn it off once SSO works.
     */
    adminEnabled: z.boolean(),
    /** Optional OIDC single sign-on; the client secret is read from the argocd-secret key `oidc.clientSecret`. */
    oidc: z
      .object({
        name: z.string().min(1),
        issuer: z.url({ protocol: /^https$/ }),
        clientId: z.string().min(1),
        /** Groups (from the token's `groups` claim) given Argo CD's role:admin; everyone else gets no permission. */
        adminGroups: z
          .array(z.string().regex(/^[^,\s]+$/, 'must be a group name without commas or spaces'))
          .default([]),
      })
      .optional(),
  })
  .refine((argo) => argo.adminEnabled || (argo.oidc?.adminGroups.length ?? 0) > 0, {
    message:
      'adminEnabled is false, so argocd.oidc.adminGroups must name the groups that administer Argo CD ' +
      '(nobody could manage it otherwise)',
    path: ['adminEnabled'],
  });

const alertingSchema = z.object({
  /** Who the SNS topic notifies: mail addresses and HTTPS endpoints (each confirms its subscription once). */
  subscriptions: z
    .array(
      z.discriminatedUnion('protocol', [
        z.object({ protocol: z.literal('email'), endpoint: z.email('must be a mail address') }),
        z.object({
          protocol: z.literal('https'),
          endpoint: z.url({ protocol: /^https$/, error: 'must be an https:// URL' }),
        }),
      ]),
    )
    .default([]),
  /** The lowest severity that notifies: staging may page only on critical, production on warning too. */
  minimumSeverity: z.enum(['critical', 'warning']),
  /** How often a still-firing alert is sent again. */
  repeatInterval: z.string().regex(/^[1-9]\d*[mh]$/, "must be an Alertmanager duration in minutes or hours, e.g. '4h'"),
});

export const clusterSettingsSchema = z.object({
  /** IAM role that gets cluster-admin through an EKS access entry (e.g. an SSO administrator role). */
  adminRoleArn: z
    .string()
    .regex(
      /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/,
      'must be an IAM role ARN such as arn:aws:iam::111111111111:role/Admin',
    ),
  /** CIDRs that may reach the public Kubernetes API endpoint; [] makes the endpoint private-only. */
  apiPublicAccessCidrs: z
    .array(ipv4Cidr)
    .refine(
      (cidrs) => !cidrs.includes('0.0.0.0/0'),
      'must not contain 0.0.0.0/0: list your office/VPN CIDRs or use []',
    ),
  /** NAT gateways: one per AZ survives an AZ outage; one is cheaper. */
  natGateways: z.int().min(1),
  nodeGroup: nodeGroupSchema,
  database: databaseSchema,
  /** Public DNS zone of the host; when given, the ACM certificate is validated through it automatically. */
  hostedZone: z
    .object({
      id: z.string().regex(/^Z[A-Z0-9]{1,32}$/, 'must be a Route 53 hosted zone id such as Z0123456789ABC'),
      name: z.string().regex(HOST_NAME, 'must be a DNS zone name such as example.com'),
    })
    .optional(),
  argocd: argoCdSchema,
  alerting: alertingSchema,
  logRetentionDays: z
    .int()
    .refine(
      (days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days),
      `must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
    ),
  /** An account holds one GitHub OIDC provider: give its ARN when it exists already, else the app creates it. */
  existingGithubOidcProviderArn: z
    .string()
    .regex(
      /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/,
      'must be the ARN of the token.actions.githubusercontent.com OIDC provider',
    )
    .optional(),
  /** ECR keeps this many images; older ones expire (never set it below the releases you may roll back to). */
  ecrKeepImages: z.int().min(10),
  ...baselineSettingsShape,
});

/** What a person writes in cluster/config/environments.ts. */
export type ClusterSettingsInput = z.input<typeof clusterSettingsSchema>;
export type ClusterSettings = z.output<typeof clusterSettingsSchema>;

/** The shared values from platform/ that the cluster depends on, checked with the same rigour. */
const platformEnvironmentSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,20}$/, 'must be a short lower-case name'),
  host: z.string().regex(HOST_NAME, 'must be a DNS host name'),
  // The subnets must also fit (checked with the AZ count below); pods take their IPs from the VPC.
  vpcCidr: ipv4Cidr.refine((cidr) => {
    const prefix = Number(cidr.split('/')[1]);
    return prefix >= 16 && prefix <= 28;
  }, 'must be a /16 to /28 block (the sizes a VPC may have)'),
  aws: z.object({
    account: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
    region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must be an AWS region such as eu-west-1'),
  }),
  // Two at least: the node group, the ALB and Multi-AZ RDS each need subnets in two zones.
  availabilityZoneCount: z.int().min(2, 'must be at least 2').max(3),
});

/** Platform environment + its cluster settings, validated: what every construct of the app is built from. */
export interface ClusterConfig {
  readonly environment: Environment;
  readonly settings: ClusterSettings;
}

export class ClusterConfigError extends Error {
  override readonly name = 'ClusterConfigError';
}

/**
 * Validates one environment's configuration and fails with a message naming the environment, the field and the
 * rule, so a bad value stops `cdk synth` before anything is built.
 */
export function resolveClusterConfig(environment: Environment, settings: unknown): ClusterConfig {
  const where = `cluster configuration of environment "${environment.name}"`;
  const platformResult = platformEnvironmentSchema.safeParse(environment);
  if (!platformResult.success) {
    throw new ClusterConfigError(`${where} (platform/environments.ts):\n${z.prettifyError(platformResult.error)}`);
  }
  if (settings === undefined) {
    throw new ClusterConfigError(`${where}: no entry for "${environment.name}" in cluster/config/environments.ts`);
  }
  const settingsResult = clusterSettingsSchema.safeParse(settings);
  if (!settingsResult.success) {
    throw new ClusterConfigError(
      `${where} (cluster/config/environments.ts):\n${z.prettifyError(settingsResult.error)}`,
    );
  }
  const parsed = settingsResult.data;
  try {
    environmentSubnets(environment);
  } catch (error) {
    throw new ClusterConfigError(`${where} (platform/environments.ts): ${(error as Error).message}`);
  }
  const providerAccount = parsed.existingGithubOidcProviderArn?.split(':')[4];
  if (providerAccount !== undefined && providerAccount !== environment.aws.account) {
    throw new ClusterConfigError(
      `${where}: existingGithubOidcProviderArn is in account ${providerAccount}, but the release role is created in ` +
        `${environment.aws.account}: a role trusts only its own account's OIDC provider`,
    );
  }
  if (parsed.natGateways > environment.availabilityZoneCount) {
    throw new ClusterConfigError(`${where}: natGateways (${parsed.natGateways}) exceeds availabilityZoneCount`);
  }
  if (parsed.nodeGroup.minSize < environment.availabilityZoneCount) {
    throw new ClusterConfigError(
      `${where}: nodeGroup.minSize (${parsed.nodeGroup.minSize}) must be at least availabilityZoneCount ` +
        `(${environment.availabilityZoneCount}) so every zone has a node`,
    );
  }
  const armTypes = parsed.nodeGroup.instanceTypes.filter(
    (type) => new ec2.InstanceType(type).architecture !== ec2.InstanceArchitecture.X86_64,
  );
  if (armTypes.length > 0) {
    throw new ClusterConfigError(
      `${where}: nodeGroup.instanceTypes ${armTypes.join(', ')} are not x86_64, but the release workflow builds ` +
        'linux/amd64 images only (add linux/arm64 to it first)',
    );
  }
  if (parsed.hostedZone && !`.${environment.host}`.endsWith(`.${parsed.hostedZone.name}`)) {
    throw new ClusterConfigError(
      `${where}: hostedZone.name "${parsed.hostedZone.name}" does not contain the host "${environment.host}"`,
    );
  }
  const [problem] = baselineProblems(environment, parsed);
  if (problem) throw new ClusterConfigError(`${where}: ${problem}`);
  return { environment, settings: parsed };
}
