import { environments, gitRepository } from '../../platform/environments.js';
import { resolveClusterConfig, type ClusterConfig, type ClusterSettingsInput } from './schema.js';

/**
 * Per-environment cluster settings: what an operator sets before the first `cdk deploy` (the account, region, VPC CIDR
 * and host live in platform/environments.ts). Every value is validated by ./schema.ts when the app is built.
 */
export const clusterSettings: Readonly<Record<string, ClusterSettingsInput>> = {
  staging: {
    adminRoleArn: 'arn:aws:iam::111111111111:role/PlatformAdmin',
    apiPublicAccessCidrs: ['203.0.113.0/24'],
    natGateways: 1,
    // The public zone of the hosts: ACM validates the certificate in it and external-dns keeps the host's alias in it.
    hostedZone: { id: 'Z0123456789EXAMPLE', name: 'example.com' },
    nodeGroup: { instanceTypes: ['m7i.large'], minSize: 2, desiredSize: 2, maxSize: 4 },
    database: {
      instanceClass: 't4g.medium',
      allocatedStorageGiB: 20,
      maxAllocatedStorageGiB: 100,
      backupRetentionDays: 7,
    },
    argocd: { repoUrl: gitRepository.url, targetRevision: gitRepository.targetRevision, adminEnabled: true },
    // Staging notifies the platform team of what is broken, not of every warning.
    alerting: {
      subscriptions: [{ protocol: 'email', endpoint: 'platform-alerts@example.com' }],
      minimumSeverity: 'critical',
      repeatInterval: '12h',
    },
    logRetentionDays: 30,
    ecrKeepImages: 300,
    // Staging may lose a node to a Spot interruption: Karpenter drains it on the two-minute notice.
    karpenter: { capacityTypes: ['spot', 'on-demand'], cpuLimit: 16 },
  },
  production: {
    adminRoleArn: 'arn:aws:iam::111111111111:role/PlatformAdmin',
    apiPublicAccessCidrs: ['203.0.113.0/24'],
    natGateways: 3,
    hostedZone: { id: 'Z0123456789EXAMPLE', name: 'example.com' },
    nodeGroup: { instanceTypes: ['m7i.large'], minSize: 3, desiredSize: 3, maxSize: 6 },
    database: {
      instanceClass: 'm7g.large',
      allocatedStorageGiB: 50,
      maxAllocatedStorageGiB: 500,
      backupRetentionDays: 14,
    },
    argocd: {
      repoUrl: gitRepository.url,
      targetRevision: gitRepository.targetRevision,
      // Production is SSO only (the schema refuses the local admin there). Replace with your identity provider.
      adminEnabled: false,
      oidc: {
        name: 'SSO',
        issuer: 'https://sso.example.com',
        clientId: 'argocd-production',
        adminGroups: ['platform-admins'],
      },
    },
    argocdOperations: { highAvailability: true },
    monitoringStorage: { prometheusGiB: 100, alertmanagerGiB: 2, grafanaGiB: 5 },
    alerting: {
      subscriptions: [
        { protocol: 'email', endpoint: 'oncall@example.com' },
        { protocol: 'https', endpoint: 'https://events.pagerduty.com/integration/EXAMPLE/enqueue' },
      ],
      minimumSeverity: 'warning',
      repeatInterval: '4h',
    },
    logRetentionDays: 365,
    ecrKeepImages: 300,
    karpenter: { capacityTypes: ['on-demand'], cpuLimit: 64 },
    cache: { maxEcpuPerSecond: 20_000, snapshotRetentionDays: 7 },
  },
};

/** Every platform environment with its validated cluster settings; throws on the first bad value. */
export function clusterConfigs(settings: Readonly<Record<string, unknown>> = clusterSettings): ClusterConfig[] {
  return environments.map((environment) => resolveClusterConfig(environment, settings[environment.name]));
}
