import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Template } from 'aws-cdk-lib/assertions';
import { environmentNamed, environments } from '../../platform/environments.js';
import { databaseName } from '../../platform/service.js';
import { clusterSettings } from '../config/environments.js';
import { mysqlEngineVersion } from '../lib/database/index.js';
import { allResources, resources, single, useSynthesizedCluster, type Resource } from './support/synth.js';

/** A string property that may be a Fn::Join of strings and tokens (tokens rendered as "<token>"). */
function joinedText(value: unknown): string {
  if (typeof value === 'string') return value;
  const [separator, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  return parts.map((part) => (typeof part === 'string' ? part : '<token>')).join(separator);
}

function rotationSecurityGroupId(template: Template): string {
  const [id] = single(template, 'AWS::EC2::SecurityGroup', {
    GroupDescription: 'Secrets Manager rotation functions of the database users: MySQL and the Secrets Manager API',
  });
  return id;
}

const synthesized = useSynthesizedCluster();

for (const environment of environments) {
  describe(`RDS MySQL in ${environment.name}`, () => {
    const template = () => synthesized().environment(environment.name);
    const instance = () => single(template(), 'AWS::RDS::DBInstance')[1];

    it('runs MySQL 8.4 and takes its minor versions in a fixed maintenance window', () => {
      const props = instance().Properties;
      assert.equal(props.Engine, 'mysql');
      assert.equal(props.EngineVersion, mysqlEngineVersion.mysqlFullVersion);
      assert.match(props.EngineVersion, /^8\.4\.\d+$/);
      assert.equal(props.AutoMinorVersionUpgrade, true);
      assert.match(String(props.PreferredMaintenanceWindow), /^[a-z]{3}:\d\d:\d\d-[a-z]{3}:\d\d:\d\d$/);
    });

    it('encrypts storage with its own rotating KMS key', () => {
      const props = instance().Properties;
      assert.equal(props.StorageEncrypted, true);
      const keyId = (props.KmsKeyId as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const key = allResources(template())[keyId]!;
      assert.equal(key.Type, 'AWS::KMS::Key');
      assert.equal(key.Properties.EnableKeyRotation, true);
    });

    it('survives deletion: deletion protection, a final snapshot, backups kept for at least 7 days', () => {
      const resource = instance();
      assert.equal(resource.Properties.DeletionProtection, true);
      assert.equal(resource.DeletionPolicy, 'Snapshot');
      assert.equal(resource.UpdateReplacePolicy, 'Snapshot');
      const retention = Number(resource.Properties.BackupRetentionPeriod);
      assert.ok(retention >= 7, `backups kept ${retention} days`);
      assert.equal(retention, clusterSettings[environment.name]!.database.backupRetentionDays);
      assert.equal(resource.Properties.DeleteAutomatedBackups, false);
    });

    it(`is ${environment.production ? '' : 'not '}Multi-AZ, as the environment's production flag says`, () => {
      assert.equal(instance().Properties.MultiAZ, environment.production);
    });

    it('creates the schema the server uses and is not publicly accessible', () => {
      assert.equal(instance().Properties.DBName, databaseName);
      assert.equal(instance().Properties.PubliclyAccessible, false);
    });

    it('generates its credentials into Secrets Manager under the name k8s/ reads', () => {
      const [secretId, secret] = single(template(), 'AWS::SecretsManager::Secret', {
        Name: environment.secrets.database,
      });
      const generate = secret.Properties.GenerateSecretString as {
        SecretStringTemplate: string;
        GenerateStringKey: string;
      };
      assert.equal(generate.GenerateStringKey, 'password');
      assert.ok((JSON.parse(generate.SecretStringTemplate) as { username?: string }).username);
      // The password in the instance is resolved from that secret, never written into the template.
      assert.match(
        JSON.stringify(instance().Properties.MasterUserPassword),
        new RegExp(`${secretId}.*SecretString:password`),
      );
    });

    it('uses utf8mb4 and UTC', () => {
      const [, group] = single(template(), 'AWS::RDS::DBParameterGroup');
      assert.equal(group.Properties.Family, 'mysql8.4');
      const parameters = group.Properties.Parameters as Record<string, string>;
      assert.equal(parameters.character_set_server, 'utf8mb4');
      assert.equal(parameters.collation_server, 'utf8mb4_0900_ai_ci');
      assert.equal(parameters.time_zone, 'UTC');
    });

    it('writes the slow query log it exports, and refuses connections without TLS', () => {
      const [, group] = single(template(), 'AWS::RDS::DBParameterGroup');
      const parameters = group.Properties.Parameters as Record<string, string>;
      // RDS publishes the slow query log only with slow_query_log = 1 and log_output = FILE: exporting it alone
      // would ship an empty log.
      assert.deepEqual(instance().Properties.EnableCloudwatchLogsExports, ['audit', 'error', 'general', 'slowquery']);
      assert.equal(parameters.slow_query_log, '1');
      assert.equal(parameters.log_output, 'FILE');
      assert.match(parameters.long_query_time!, /^\d+(\.\d+)?$/);
      // Not a default of RDS for MySQL 8.4: set here, and the server verifies the RDS certificate (DB_TLS=verify).
      assert.equal(parameters.require_secure_transport, '1');
    });

    it('lives only in isolated subnets: no route to the internet', () => {
      const all = template().toJSON().Resources as Record<
        string,
        { Type: string; Properties: Record<string, unknown> }
      >;
      const [, subnetGroup] = single(template(), 'AWS::RDS::DBSubnetGroup');
      const subnetIds = (subnetGroup.Properties.SubnetIds as { Ref: string }[]).map((ref) => ref.Ref);
      assert.ok(subnetIds.length >= 2, 'subnets in at least two AZs');
      for (const subnetId of subnetIds) {
        const association = Object.values(all).find(
          (r) =>
            r.Type === 'AWS::EC2::SubnetRouteTableAssociation' &&
            (r.Properties.SubnetId as { Ref: string }).Ref === subnetId,
        );
        const routeTableId = (association?.Properties.RouteTableId as { Ref: string }).Ref;
        const routes = Object.values(all).filter(
          (r) => r.Type === 'AWS::EC2::Route' && (r.Properties.RouteTableId as { Ref: string }).Ref === routeTableId,
        );
        assert.deepEqual(routes, [], `subnet ${subnetId} has no routes besides the local one`);
      }
    });
  });

  describe(`database users and their rotation in ${environment.name}`, () => {
    const template = () => synthesized().environment(environment.name);
    const secret = (name: string) => single(template(), 'AWS::SecretsManager::Secret', { Name: name });

    it('generates an application and a migration user, each with the keys of RDS secrets', () => {
      for (const [name, username] of [
        [environment.secrets.databaseApp, 'desktop_app'],
        [environment.secrets.databaseMigrator, 'desktop_migrator'],
      ] as const) {
        const [secretId, resource] = secret(name);
        const generate = resource.Properties.GenerateSecretString as Record<string, string>;
        assert.equal(generate.GenerateStringKey, 'password');
        const fields = JSON.parse(joinedText(generate.SecretStringTemplate)) as Record<string, unknown>;
        assert.equal(fields.username, username);
        assert.equal(fields.dbname, databaseName);
        // masterarn: the multi-user rotation logs in as the master to clone the user.
        assert.ok(fields.masterarn, `${name} names the master secret`);
        // The attachment adds host, port and engine from the instance.
        const [, attachment] = single(template(), 'AWS::SecretsManager::SecretTargetAttachment', {
          SecretId: { Ref: secretId },
        });
        assert.equal(attachment.Properties.TargetType, 'AWS::RDS::DBInstance');
      }
    });

    it('rotates the application user by alternating users and the master by itself, with hosted functions', () => {
      const schedules = resources(template(), 'AWS::SecretsManager::RotationSchedule').map(([, schedule]) => schedule);
      const byKind = (kind: string) =>
        schedules.filter(
          (schedule) => (schedule.Properties.HostedRotationLambda as { RotationType: string }).RotationType === kind,
        );
      assert.equal(byKind('MySQLMultiUser').length, 1);
      assert.equal(byKind('MySQLSingleUser').length, 1);
      assert.equal(schedules.length, 2, 'the migration user is rotated by the runbook, not on a schedule');
      const [multi] = byKind('MySQLMultiUser') as [Resource];
      const appAttachment = resources(template(), 'AWS::SecretsManager::SecretTargetAttachment').find(
        ([, attachment]) =>
          JSON.stringify(attachment.Properties.SecretId) ===
          JSON.stringify({ Ref: secret(environment.secrets.databaseApp)[0] }),
      )!;
      assert.deepEqual(multi.Properties.SecretId, { Ref: appAttachment[0] });
      const hosted = multi.Properties.HostedRotationLambda as Record<string, unknown>;
      assert.ok(hosted.MasterSecretArn, 'logs in as the master to clone the user');
      assert.ok(hosted.VpcSubnetIds && hosted.VpcSecurityGroupIds, 'runs in the VPC');
      for (const schedule of schedules) {
        assert.deepEqual(schedule.Properties.RotationRules, { ScheduleExpression: 'rate(30 days)' });
        // The users exist only once the provisioning Job ran: the first rotation waits for its schedule.
        assert.equal(schedule.Properties.RotateImmediatelyOnUpdate, false);
      }
    });
  });

  describe(`who may reach MySQL (3306) in ${environment.name}`, () => {
    const template = () => synthesized().environment(environment.name);

    it('admits 3306 from the EKS cluster security group and the rotation functions, and from nothing else', () => {
      const instance = single(template(), 'AWS::RDS::DBInstance')[1];
      const groups = instance.Properties.VPCSecurityGroups as { 'Fn::GetAtt': [string, string] }[];
      assert.equal(groups.length, 1);
      const databaseGroupId = groups[0]!['Fn::GetAtt'][0];

      const inline = allResources(template())[databaseGroupId]!.Properties.SecurityGroupIngress;
      assert.equal(inline, undefined, 'no inline ingress rules');
      const ingress = resources(template(), 'AWS::EC2::SecurityGroupIngress').filter(
        ([, rule]) =>
          JSON.stringify(rule.Properties.GroupId) === JSON.stringify({ 'Fn::GetAtt': [databaseGroupId, 'GroupId'] }),
      );
      assert.equal(ingress.length, 2, 'exactly two ingress rules');
      for (const [, rule] of ingress) {
        assert.equal(rule.Properties.IpProtocol, 'tcp');
        assert.equal(rule.Properties.FromPort, 3306);
        assert.equal(rule.Properties.ToPort, 3306);
        assert.equal(rule.Properties.CidrIp, undefined);
      }
      const [clusterId] = single(template(), 'AWS::EKS::Cluster');
      const rotationGroupId = rotationSecurityGroupId(template());
      assert.deepEqual(
        ingress.map(([, rule]) => JSON.stringify(rule.Properties.SourceSecurityGroupId)).sort(),
        [
          JSON.stringify({ 'Fn::GetAtt': [clusterId, 'ClusterSecurityGroupId'] }),
          JSON.stringify({ 'Fn::GetAtt': [rotationGroupId, 'GroupId'] }),
        ].sort(),
      );
    });

    it('keeps the kubectl handler (a Lambda) out of the cluster security group that MySQL admits', () => {
      const [clusterId] = single(template(), 'AWS::EKS::Cluster');
      const clusterGroup = JSON.stringify({ 'Fn::GetAtt': [clusterId, 'ClusterSecurityGroupId'] });
      const inVpc = resources(template(), 'AWS::Lambda::Function').filter(([, fn]) => fn.Properties.VpcConfig);
      assert.ok(inVpc.length > 0, 'the kubectl handler runs in the VPC');
      for (const [id, fn] of inVpc) {
        const groups = JSON.stringify((fn.Properties.VpcConfig as { SecurityGroupIds: unknown }).SecurityGroupIds);
        assert.ok(!groups.includes(clusterGroup), `${id} is not in the cluster security group`);
      }
    });

    it('lets the database open no connections of its own', () => {
      const instance = single(template(), 'AWS::RDS::DBInstance')[1];
      const databaseGroupId = (instance.Properties.VPCSecurityGroups as { 'Fn::GetAtt': [string] }[])[0]![
        'Fn::GetAtt'
      ][0];
      const egress = allResources(template())[databaseGroupId]!.Properties.SecurityGroupEgress as {
        CidrIp: string;
      }[];
      // CDK's marker for "no egress": a rule to 255.255.255.255/32 that matches no traffic.
      assert.deepEqual(
        egress.map((rule) => rule.CidrIp),
        ['255.255.255.255/32'],
      );
    });
  });
}

describe('environment data', () => {
  it('has a production environment with Multi-AZ to test', () => {
    assert.equal(environmentNamed('production').production, true);
  });
});
