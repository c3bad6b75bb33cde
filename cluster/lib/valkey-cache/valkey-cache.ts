import { Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledgeUnrotatedSecret } from './nag-acknowledgements.js';
import type { ValkeyCacheProps } from './valkey-cache-props.js';

/** Pub/sub, connection handshake (AUTH, HELLO, PING, CLIENT SETNAME, ...) and INFO (client ready checks). */
export const valkeyPubSubAccess = 'on ~* &* -@all +@pubsub +@connection +info';
/** ElastiCache Serverless serves the primary endpoint on 6379 and the reader endpoint on 6380. */
export const valkeyPorts = { primary: 6379, reader: 6380 } as const;

/**
 * ElastiCache Serverless for Valkey: TLS always (serverless caches accept nothing else), RBAC with one application
 * user whose password Secrets Manager generates, reachable only from the given security groups, and a connection
 * secret `{host, port, username, password}` that External Secrets turns into REDIS_URL (rediss://).
 *
 * Two secrets because of an order CloudFormation cannot break otherwise: the user needs the password before the
 * cache exists, and the connection secret needs the cache's endpoint. The generated password secret is read only
 * by CloudFormation; the connection secret is the one the service reads.
 */
export class ValkeyCache extends Construct {
  readonly cache: elasticache.CfnServerlessCache;
  readonly securityGroup: ec2.SecurityGroup;
  readonly connectionSecret: secretsmanager.CfnSecret;
  /** The connection secret as an ISecret (what External Secrets is allowed to read). */
  readonly secret: secretsmanager.ISecret;
  readonly username: string;

  constructor(scope: Construct, id: string, props: ValkeyCacheProps) {
    super(scope, id);
    if (!/^[a-z][a-z0-9-]{0,39}$/.test(props.cacheName)) {
      throw new Error(`ValkeyCache cacheName "${props.cacheName}" must be 1-40 lower-case letters, digits or hyphens`);
    }
    const maxDataStorageGiB = props.maxDataStorageGiB ?? 1;
    const maxEcpuPerSecond = props.maxEcpuPerSecond ?? 5000;
    // ElastiCache's own ranges for serverless usage limits.
    if (maxDataStorageGiB < 1 || maxDataStorageGiB > 5000) {
      throw new Error(`ValkeyCache maxDataStorageGiB must be 1-5000, got ${maxDataStorageGiB}`);
    }
    if (maxEcpuPerSecond < 1000 || maxEcpuPerSecond > 15_000_000) {
      throw new Error(`ValkeyCache maxEcpuPerSecond must be 1000-15000000, got ${maxEcpuPerSecond}`);
    }
    this.username = `${props.cacheName}-app`;

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `ElastiCache Serverless ${props.cacheName}: Valkey over TLS from the cluster only`,
      allowAllOutbound: false,
    });
    for (const client of props.clients) {
      this.securityGroup.addIngressRule(
        client,
        ec2.Port.tcpRange(valkeyPorts.primary, valkeyPorts.reader),
        'Valkey (TLS) from EKS nodes and pods',
      );
    }

    const passwordSecret = new secretsmanager.Secret(this, 'PasswordSecret', {
      description: `Password of the ${this.username} ElastiCache user (read by CloudFormation only)`,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: this.username }),
        generateStringKey: props.secretKeys.password,
        // ElastiCache passwords: 16-128 printable characters without spaces, quotes, "@" or "/".
        passwordLength: 64,
        excludePunctuation: true,
      },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const password = passwordSecret.secretValueFromJson(props.secretKeys.password).unsafeUnwrap();

    const user = new elasticache.CfnUser(this, 'User', {
      engine: 'valkey',
      userId: this.username,
      userName: this.username,
      accessString: props.accessString ?? valkeyPubSubAccess,
      authenticationMode: { Type: 'password', Passwords: [password] },
    });
    // A Valkey user group holds only users that authenticate: no passwordless "default" user can get in.
    const userGroup = new elasticache.CfnUserGroup(this, 'UserGroup', {
      engine: 'valkey',
      userGroupId: props.cacheName,
      userIds: [user.userId],
    });
    userGroup.addResourceDependency(user);

    this.cache = new elasticache.CfnServerlessCache(this, 'Cache', {
      serverlessCacheName: props.cacheName,
      description: 'Cross-replica wake-ups of the desktop backend (pub/sub); MySQL holds the data',
      engine: 'valkey',
      majorEngineVersion: props.majorEngineVersion ?? '8',
      subnetIds: props.vpc.selectSubnets(props.subnets).subnetIds,
      securityGroupIds: [this.securityGroup.securityGroupId],
      userGroupId: userGroup.userGroupId,
      cacheUsageLimits: {
        dataStorage: { maximum: maxDataStorageGiB, unit: 'GB' },
        ecpuPerSecond: { maximum: maxEcpuPerSecond },
      },
      snapshotRetentionLimit: props.snapshotRetentionDays ?? 1,
    });
    this.cache.addResourceDependency(userGroup);

    // The service's connection secret: the endpoint from the cache, the password resolved by CloudFormation from
    // the generated secret at deploy time (a dynamic reference: the value never appears in the template).
    const secretString = Stack.of(this).toJsonString({
      [props.secretKeys.host]: this.cache.attrEndpointAddress,
      [props.secretKeys.port]: this.cache.attrEndpointPort,
      [props.secretKeys.username]: this.username,
      [props.secretKeys.password]: Fn.join('', [
        '{{resolve:secretsmanager:',
        passwordSecret.secretArn,
        `:SecretString:${props.secretKeys.password}}}`,
      ]),
    });
    this.connectionSecret = new secretsmanager.CfnSecret(this, 'ConnectionSecret', {
      name: props.secretName,
      description: 'ElastiCache Serverless (Valkey) endpoint and credentials of the desktop backend',
      secretString,
    });
    this.secret = secretsmanager.Secret.fromSecretCompleteArn(this, 'Secret', this.connectionSecret.ref);

    for (const secret of [passwordSecret, this.connectionSecret]) acknowledgeUnrotatedSecret(secret);
  }
}
