import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { subnetGroups } from '../../../platform/network.js';
import type { DatabaseProps } from './database-props.js';
import { acknowledgeDatabaseFindings, acknowledgeMigratorSecret } from './nag-acknowledgements.js';

/**
 * MySQL 8.4, the LTS line, created at its newest minor; RDS then applies later minors itself in the maintenance
 * window (auto minor version upgrade, as the Control Tower controls ask). CloudFormation does not act on an instance
 * that is newer than this; never lower it below what runs.
 */
export const mysqlEngineVersion = rds.MysqlEngineVersion.of('8.4.11', '8.4');

export const mysqlPort = 3306;

/**
 * Every MySQL log RDS can export (as the Control Tower control CT.RDS.PR.14 asks): the audit log of connections, DDL
 * and DCL (MariaDB Audit Plugin), errors and slow queries. The general log is exported too but stays off
 * (general_log = 0: too chatty to keep); turn it on in the parameter group to debug.
 */
export const exportedLogs = ['audit', 'error', 'general', 'slowquery'] as const;

/** Characters left out of generated passwords: they break DSNs, shells and YAML when an operator handles one. */
const passwordExcludedCharacters = ' %+~`#$&*()|[]{}:;<>?!\'/@"\\';

const defaultProps = {
  rotationDays: 30,
  masterUsername: 'desktop_admin',
  appUsername: 'desktop_app',
  migratorUsername: 'desktop_migrator',
  logRetention: logs.RetentionDays.ONE_MONTH,
};

/**
 * RDS MySQL 8.4 in the isolated subnets: TLS required, encrypted with its own KMS key, backups, deletion protection, a
 * final snapshot when the resource goes away, a security group that admits nobody until `allowFrom` is called, and
 * three users' secrets (RDS's standard keys: username, password, host, port, dbname): the master (rotated, used only
 * to create the others), the application user (rotated by alternating users, so a rotation never breaks a running
 * pod) and the migration user. The users themselves are created in MySQL by the provisioning Job (k8s/).
 */
export class Database extends Construct {
  readonly instance: rds.DatabaseInstance;
  /** The master user's secret. */
  readonly secret: secretsmanager.ISecret;
  readonly appSecret: secretsmanager.ISecret;
  readonly migratorSecret: secretsmanager.ISecret;
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const settings = { ...defaultProps, ...props };
    const engine = rds.DatabaseInstanceEngine.mysql({ version: mysqlEngineVersion });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'MySQL: admits 3306 from the EKS cluster and the rotation functions only',
      allowAllOutbound: false,
    });

    const parameterGroup = new rds.ParameterGroup(this, 'Parameters', {
      engine,
      description: 'TLS only, utf8mb4 everywhere, UTC timestamps, slow query log',
      parameters: {
        // Plaintext connections are refused; the server verifies the RDS certificate (DB_TLS=verify).
        require_secure_transport: '1',
        character_set_server: 'utf8mb4',
        collation_server: 'utf8mb4_0900_ai_ci',
        time_zone: 'UTC',
        // The slow query log is exported to CloudWatch below; RDS publishes it only with slow_query_log = 1 and
        // log_output = FILE (AWS: "Publishing MySQL logs to Amazon CloudWatch Logs").
        slow_query_log: '1',
        long_query_time: '1',
        log_output: 'FILE',
      },
    });

    // Who connected, and every schema and privilege change (the users the provisioning Job creates included).
    const optionGroup = new rds.OptionGroup(this, 'Options', {
      engine,
      description: 'MariaDB Audit Plugin: connections, DDL and DCL',
      configurations: [
        { name: 'MARIADB_AUDIT_PLUGIN', settings: { SERVER_AUDIT_EVENTS: 'CONNECT,QUERY_DDL,QUERY_DCL' } },
      ],
    });

    const storageKey = new kms.Key(this, 'StorageKey', {
      description: `RDS storage and snapshots of ${props.instanceIdentifier}`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Created here rather than by RDS so retention needs no extra Lambda (cloudwatchLogsRetention would add one).
    const logGroups = exportedLogs.map(
      (log) =>
        new logs.LogGroup(this, `Log-${log}`, {
          logGroupName: `/aws/rds/instance/${props.instanceIdentifier}/${log}`,
          retention: settings.logRetention,
          encryptionKey: props.logEncryptionKey,
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
      credentials: rds.Credentials.fromGeneratedSecret(settings.masterUsername, {
        secretName: props.secretNames.master,
        excludeCharacters: passwordExcludedCharacters,
      }),
      databaseName: props.databaseName,
      parameterGroup,
      optionGroup,
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
      autoMinorVersionUpgrade: true,
      // Tuesday night (UTC), after the nightly backup window RDS picks.
      preferredMaintenanceWindow: 'tue:03:00-tue:04:00',
      iamAuthentication: true,
      cloudwatchLogsExports: [...exportedLogs],
      monitoringInterval: Duration.seconds(60),
    });
    for (const logGroup of logGroups) this.instance.node.addDependency(logGroup);
    if (!this.instance.secret) throw new Error('RDS did not generate a credentials secret');
    this.secret = this.instance.secret;

    // The rotation functions (hosted by Secrets Manager, in the VPC) log in to MySQL.
    const rotationSecurityGroup = new ec2.SecurityGroup(this, 'RotationSecurityGroup', {
      vpc: props.vpc,
      description: 'Secrets Manager rotation functions of the database users: MySQL and the Secrets Manager API',
    });
    this.allowFrom(rotationSecurityGroup, 'MySQL from the Secrets Manager rotation functions');
    const rotation = (hostedRotation: secretsmanager.HostedRotation): secretsmanager.RotationScheduleOptions => ({
      hostedRotation,
      automaticallyAfter: Duration.days(settings.rotationDays),
      // The first rotation waits for its schedule: the provisioning Job creates the users after the first deploy.
      rotateImmediatelyOnUpdate: false,
    });
    const inVpc = { vpc: props.vpc, vpcSubnets: props.rotationSubnets, securityGroups: [rotationSecurityGroup] };
    this.secret.addRotationSchedule('MasterRotation', rotation(secretsmanager.HostedRotation.mysqlSingleUser(inVpc)));

    this.appSecret = this.userSecret('AppSecret', settings.appUsername, props.secretNames.app, props.databaseName);
    // Alternating users: the function clones the user (desktop_app_clone) with the master's rights and switches the
    // secret between the two, so the password pods hold keeps working until they pick up the new one.
    this.appSecret.addRotationSchedule(
      'AppRotation',
      rotation(secretsmanager.HostedRotation.mysqlMultiUser({ ...inVpc, masterSecret: this.secret })),
    );
    this.migratorSecret = this.userSecret(
      'MigratorSecret',
      settings.migratorUsername,
      props.secretNames.migrator,
      props.databaseName,
    );
    acknowledgeMigratorSecret(this.node.findChild('MigratorSecret'));
    acknowledgeDatabaseFindings(this.instance, props.multiAz);
  }

  /** Admits MySQL connections from `peer` (the cluster security group) and from nothing else. */
  allowFrom(peer: ec2.IConnectable, description: string): void {
    this.instance.connections.allowFrom(peer, ec2.Port.tcp(mysqlPort), description);
  }

  /** A generated user secret, completed by RDS's attachment with host, port, dbname and engine. */
  private userSecret(id: string, username: string, secretName: string, dbname: string): secretsmanager.ISecret {
    const secret = new rds.DatabaseSecret(this, id, {
      username,
      dbname,
      secretName,
      masterSecret: this.secret,
      excludeCharacters: passwordExcludedCharacters,
    });
    return secret.attach(this.instance);
  }
}
