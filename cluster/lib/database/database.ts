import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { subnetGroups } from '../../../platform/network.js';

/** Pinned: minor upgrades are a reviewed change here, not a surprise in a maintenance window. MySQL 8.4 is the LTS line. */
export const mysqlEngineVersion = rds.MysqlEngineVersion.VER_8_4_10;

export const mysqlPort = 3306;

export interface DatabaseProps {
  readonly vpc: ec2.IVpc;
  /** Secrets Manager name of the generated credentials (platform environment's secrets.database). */
  readonly secretName: string;
  /** Schema created at launch; lands in the secret as `dbname`. */
  readonly databaseName: string;
  /** e.g. t4g.medium */
  readonly instanceClass: string;
  readonly multiAz: boolean;
  readonly allocatedStorageGiB: number;
  readonly maxAllocatedStorageGiB: number;
  readonly backupRetentionDays: number;
  /** @default false */
  readonly requireTls?: boolean;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default 'desktop_admin' */
  readonly masterUsername?: string;
  /** DB instance identifier; fixed so the log groups can be created (with retention) before the instance. */
  readonly instanceIdentifier: string;
}

/** MySQL logs exported to CloudWatch: errors and slow queries (the general log is too chatty to keep). */
const exportedLogs = ['error', 'slowquery'] as const;

/**
 * RDS MySQL 8.4 in the isolated subnets: encrypted with its own KMS key, backups, deletion protection, a final
 * snapshot when the resource goes away, credentials generated into Secrets Manager, and a security group that admits
 * nobody until `allowFrom` is called.
 */
export class Database extends Construct {
  readonly instance: rds.DatabaseInstance;
  readonly secret: secretsmanager.ISecret;
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const engine = rds.DatabaseInstanceEngine.mysql({ version: mysqlEngineVersion });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'MySQL: admits 3306 from the EKS cluster only',
      allowAllOutbound: false,
    });

    const parameterGroup = new rds.ParameterGroup(this, 'Parameters', {
      engine,
      description: 'utf8mb4 everywhere, UTC timestamps',
      parameters: {
        character_set_server: 'utf8mb4',
        collation_server: 'utf8mb4_0900_ai_ci',
        time_zone: 'UTC',
        // RDS for MySQL 8.4 turns this on by default: off until the server connects with TLS (requireTls).
        require_secure_transport: props.requireTls ? '1' : '0',
        // The slow query log is exported to CloudWatch below; RDS publishes it only with slow_query_log = 1 and
        // log_output = FILE (AWS: "Publishing MySQL logs to Amazon CloudWatch Logs").
        slow_query_log: '1',
        long_query_time: '1',
        log_output: 'FILE',
      },
    });

    const storageKey = new kms.Key(this, 'StorageKey', {
      description: `RDS storage and snapshots of ${props.secretName}`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Created here rather than by RDS so retention needs no extra Lambda (cloudwatchLogsRetention would add one).
    const logGroups = exportedLogs.map(
      (log) =>
        new logs.LogGroup(this, `Log-${log}`, {
          logGroupName: `/aws/rds/instance/${props.instanceIdentifier}/${log}`,
          retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
          removalPolicy: RemovalPolicy.RETAIN,
        }),
    );

    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      instanceIdentifier: props.instanceIdentifier,
      engine,
      instanceType: new ec2.InstanceType(props.instanceClass),
      vpc: props.vpc,
      vpcSubnets: { subnetGroupName: subnetGroups.database },
      securityGroups: [this.securityGroup],
      port: mysqlPort,
      publiclyAccessible: false,
      credentials: rds.Credentials.fromGeneratedSecret(props.masterUsername ?? 'desktop_admin', {
        secretName: props.secretName,
      }),
      databaseName: props.databaseName,
      parameterGroup,
      multiAz: props.multiAz,
      storageType: rds.StorageType.GP3,
      allocatedStorage: props.allocatedStorageGiB,
      maxAllocatedStorage: props.maxAllocatedStorageGiB,
      storageEncrypted: true,
      storageEncryptionKey: storageKey,
      backupRetention: Duration.days(props.backupRetentionDays),
      deleteAutomatedBackups: false,
      copyTagsToSnapshot: true,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.SNAPSHOT,
      autoMinorVersionUpgrade: false,
      iamAuthentication: true,
      cloudwatchLogsExports: [...exportedLogs],
      monitoringInterval: Duration.seconds(60),
    });
    for (const logGroup of logGroups) this.instance.node.addDependency(logGroup);
    if (!this.instance.secret) throw new Error('RDS did not generate a credentials secret');
    this.secret = this.instance.secret;

    Validations.of(this.instance).acknowledge({
      id: 'AwsSolutions-RDS11',
      reason:
        'MySQL listens on 3306, the port the NetworkPolicies in k8s/ open; only the cluster security group may reach it.',
    });
    if (!props.multiAz) {
      Validations.of(this.instance).acknowledge({
        id: 'AwsSolutions-RDS3',
        reason: 'Single-AZ in non-production environments to halve the cost; production sets multiAz from platform.',
      });
    }
    Validations.of(this.instance).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
      reason:
        'The AWS-maintained policy of the Enhanced Monitoring role: it only publishes OS metrics to CloudWatch Logs.',
    });
    // instance.secret is the attachment; the generated secret is a child of the instance.
    Validations.of(this.instance).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotating the master password under running pods needs a coordinated restart; rotation is a runbook step ' +
        '(External Secrets refreshes the Kubernetes Secret, then the Deployment is restarted).',
    });
  }

  /** Admits MySQL connections from `peer` (the cluster security group) and from nothing else. */
  allowFrom(peer: ec2.IConnectable, description: string): void {
    this.instance.connections.allowFrom(peer, ec2.Port.tcp(mysqlPort), description);
  }
}
