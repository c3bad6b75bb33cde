import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { environmentNamed, environments } from '../../platform/environments.js';
import { databaseName } from '../../platform/service.js';
import { clusterSettings } from '../config/environments.js';
import { mysqlEngineVersion } from '../lib/database/index.js';
import { allResources, resources, single, useSynthesizedCluster } from './support/synth.js';

const synthesized = useSynthesizedCluster();

for (const environment of environments) {
  describe(`RDS MySQL in ${environment.name}`, () => {
    const template = () => synthesized().environment(environment.name);
    const instance = () => single(template(), 'AWS::RDS::DBInstance')[1];

    it('runs the pinned MySQL 8.4 engine and never upgrades it behind our back', () => {
      const props = instance().Properties;
      assert.equal(props.Engine, 'mysql');
      assert.equal(props.EngineVersion, mysqlEngineVersion.mysqlFullVersion);
      assert.match(props.EngineVersion, /^8\.\d+\.\d+$/);
      assert.equal(props.AutoMinorVersionUpgrade, false);
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

    it('writes the slow query log it exports, and admits the non-TLS connections the server makes', () => {
      const [, group] = single(template(), 'AWS::RDS::DBParameterGroup');
      const parameters = group.Properties.Parameters as Record<string, string>;
      // RDS publishes the slow query log only with slow_query_log = 1 and log_output = FILE: exporting it alone
      // would ship an empty log.
      assert.deepEqual(instance().Properties.EnableCloudwatchLogsExports, ['error', 'slowquery']);
      assert.equal(parameters.slow_query_log, '1');
      assert.equal(parameters.log_output, 'FILE');
      assert.match(parameters.long_query_time!, /^\d+(\.\d+)?$/);
      // RDS for MySQL 8.4 defaults require_secure_transport to ON; the server connects without TLS (requireTls off).
      assert.equal(parameters.require_secure_transport, '0');
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

  describe(`who may reach MySQL (3306) in ${environment.name}`, () => {
    const template = () => synthesized().environment(environment.name);

    it('admits 3306 from the EKS cluster security group and from nothing else', () => {
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
      assert.equal(ingress.length, 1, 'exactly one ingress rule');
      const [, rule] = ingress[0]!;
      assert.equal(rule.Properties.IpProtocol, 'tcp');
      assert.equal(rule.Properties.FromPort, 3306);
      assert.equal(rule.Properties.ToPort, 3306);
      assert.equal(rule.Properties.CidrIp, undefined);
      const [clusterId] = single(template(), 'AWS::EKS::Cluster');
      assert.deepEqual(rule.Properties.SourceSecurityGroupId, { 'Fn::GetAtt': [clusterId, 'ClusterSecurityGroupId'] });
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
