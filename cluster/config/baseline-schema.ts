import { z } from 'zod';

/**
 * Settings of the baseline add-ons (issue 14) and the cache, merged into the cluster settings schema. Each has a
 * default that suits a small environment; production overrides what it needs in cluster/config/environments.ts.
 */

const karpenterSchema = z
  .object({
    /** EC2 instance categories the NodePool may launch. */
    instanceCategories: z
      .array(z.string().regex(/^[a-z]$/, 'must be a one-letter EC2 instance category such as m'))
      .min(1)
      .default(['c', 'm', 'r']),
    /** Spot is cheaper but interrupted; production keeps on-demand. */
    capacityTypes: z
      .array(z.enum(['on-demand', 'spot']))
      .min(1)
      .default(['on-demand']),
    /** Ceiling on the vCPUs of all Karpenter nodes: what a runaway scale-up can cost at most. */
    cpuLimit: z.int().min(2).max(10_000).default(32),
    /** EKS-optimized AL2023 AMI alias; pin a version (al2023@v20261101) to move nodes only on a reviewed change. */
    amiAlias: z
      .string()
      .regex(/^al2023@(latest|v\d{8})$/, 'must be al2023@latest or al2023@vYYYYMMDD')
      .default('al2023@latest'),
    rootVolumeGiB: z.int().min(20).max(1000).default(50),
  })
  .prefault({});

const cacheSchema = z
  .object({
    /** ElastiCache Serverless ceilings: the cost guard (wake-ups need little). */
    maxDataStorageGiB: z.int().min(1).max(5000).default(1),
    maxEcpuPerSecond: z.int().min(1000).max(15_000_000).default(5000),
    snapshotRetentionDays: z.int().min(0).max(35).default(1),
  })
  .prefault({});

const edgeSchema = z
  .object({
    /** Requests one client IP may make in any 5 minutes before the WAF blocks it (where a WAF runs). */
    rateLimitPerFiveMinutes: z.int().min(10).max(2_000_000_000).default(2000),
    /** Days the ALB access logs are kept. */
    accessLogRetentionDays: z.int().min(1).max(3650).default(90),
  })
  .prefault({});

/** Persistent volumes of the monitoring stack (gp3, encrypted); a claim can grow later, never shrink. */
const monitoringStorageSchema = z
  .object({
    prometheusGiB: z.int().min(5).max(16_000).default(50),
    alertmanagerGiB: z.int().min(1).max(100).default(2),
    grafanaGiB: z.int().min(1).max(100).default(5),
  })
  .prefault({});

const argocdOperationsSchema = z
  .object({
    /** Argo CD in HA: two of each server and controller, Redis HA (one Redis per node: needs at least 3 nodes). */
    highAvailability: z.boolean().default(false),
    /** Minutes an Application may stay OutOfSync before a notification and an alert go out. */
    outOfSyncMinutes: z.int().min(5).max(1440).default(30),
  })
  .prefault({});

export const baselineSettingsShape = {
  argocdOperations: argocdOperationsSchema,
  karpenter: karpenterSchema,
  cache: cacheSchema,
  edge: edgeSchema,
  monitoringStorage: monitoringStorageSchema,
};
