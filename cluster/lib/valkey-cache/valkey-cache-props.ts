import type * as ec2 from 'aws-cdk-lib/aws-ec2';

/** The JSON keys of the connection secret (platform.externalSecrets.redisKeys). */
export interface ValkeySecretKeys {
  readonly host: string;
  readonly port: string;
  readonly username: string;
  readonly password: string;
}

export interface ValkeyCacheProps {
  readonly vpc: ec2.IVpc;
  /** Subnets of two or three zones; the cache gets an endpoint in each. */
  readonly subnets: ec2.SubnetSelection;
  /** Cache name (lower case, at most 40 characters). */
  readonly cacheName: string;
  /** Secrets Manager name of the connection secret (platform environment's secrets.redis). */
  readonly secretName: string;
  readonly secretKeys: ValkeySecretKeys;
  /** Security groups admitted to the cache (the cluster security group carries every node and pod). */
  readonly clients: readonly ec2.ISecurityGroup[];
  /** Ceiling on stored data, the cost guard of a serverless cache. @default 1 */
  readonly maxDataStorageGiB?: number;
  /** Ceiling on ElastiCache Processing Units per second. @default 5000 */
  readonly maxEcpuPerSecond?: number;
  /** @default 1 */
  readonly snapshotRetentionDays?: number;
  /** @default '8' */
  readonly majorEngineVersion?: string;
  /**
   * Valkey ACL of the application user. The server uses the cache only to wake other replicas (pub/sub); MySQL
   * holds the data, so the user gets pub/sub and connection commands and no key command.
   * @default valkeyPubSubAccess
   */
  readonly accessString?: string;
}
