import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';

/** Secrets Manager names of the database's three users (platform environment's secrets). */
export interface DatabaseSecretNames {
  /** The master user: RDS generates it; used only to create the other two. */
  readonly master: string;
  /** The application user (DML), rotated by alternating users. */
  readonly app: string;
  /** The migration user (DDL). */
  readonly migrator: string;
}

export interface DatabaseProps {
  readonly vpc: ec2.IVpc;
  readonly secretNames: DatabaseSecretNames;
  /** Schema created at launch; lands in every secret as `dbname`. */
  readonly databaseName: string;
  /** e.g. t4g.medium */
  readonly instanceClass: string;
  readonly multiAz: boolean;
  readonly allocatedStorageGiB: number;
  readonly maxAllocatedStorageGiB: number;
  readonly backupRetentionDays: number;
  /** DB instance identifier; fixed so the log groups can be created (with retention) before the instance. */
  readonly instanceIdentifier: string;
  /** Subnets of the rotation functions: they reach MySQL and the Secrets Manager API from there. */
  readonly rotationSubnets: ec2.SubnetSelection;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Encrypts the exported log groups. @default - CloudWatch Logs' own encryption */
  readonly logEncryptionKey?: kms.IKey;
  /** Days between rotations of the application and master passwords. @default 30 */
  readonly rotationDays?: number;
  /** @default 'desktop_admin' */
  readonly masterUsername?: string;
  /** @default 'desktop_app' (its rotation clone is desktop_app_clone) */
  readonly appUsername?: string;
  /** @default 'desktop_migrator' */
  readonly migratorUsername?: string;
}
