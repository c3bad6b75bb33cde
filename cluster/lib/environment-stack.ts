import { Aspects, CfnOutput, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import type { Construct } from 'constructs';
import { externalSecrets, gitRepository, imageRepository, kubernetesVersion } from '../../platform/environments.js';
import { environmentSubnets, subnetGroups } from '../../platform/network.js';
import { databaseName, service } from '../../platform/service.js';
import { recordedAvailabilityZones } from '../config/availability-zones.js';
import type { ClusterConfig } from '../config/schema.js';
import { ArgoCd, argoCdAdminPasswordCommand, argoCdLocalUrl, argoCdPortForwardCommand } from './addons/argocd/index.js';
import { AwsLoadBalancerController } from './addons/aws-load-balancer-controller/index.js';
import { ClusterBaseline } from './cluster-baseline/index.js';
import { ExternalSecretsOperator } from './addons/external-secrets/index.js';
import { KubePrometheusStack } from './addons/kube-prometheus-stack/index.js';
import { MetricsServer } from './addons/metrics-server/index.js';
import { Reloader } from './addons/reloader/index.js';
import { KubernetesCluster } from './kubernetes-cluster/index.js';
import { AlertTopic } from './alerting/index.js';
import { Database } from './database/index.js';
import { AwsServiceGrantsOnly } from './key-grants/index.js';
import { LogGroupDefaults, LogsKey } from './logs-key/index.js';
import { Network } from './network/index.js';
import { JwtSigningSecret } from './jwt-signing-secret/index.js';

export interface EnvironmentStackProps extends StackProps {
  readonly config: ClusterConfig;
}

/** Everything one environment runs on: VPC, RDS, secrets, EKS and its add-ons, Argo CD pointed at this repository. */
export class EnvironmentStack extends Stack {
  readonly network: Network;
  readonly database: Database;
  readonly jwtSecret: JwtSigningSecret;
  readonly kubernetes: KubernetesCluster;
  readonly externalSecrets: ExternalSecretsOperator;
  readonly argoCd: ArgoCd;
  readonly metricsServer: MetricsServer;
  readonly baseline: ClusterBaseline;
  readonly clusterName: string;
  readonly logsKey: LogsKey;
  readonly alertTopic: AlertTopic;

  constructor(scope: Construct, id: string, props: EnvironmentStackProps) {
    const { environment, settings } = props.config;
    super(scope, id, {
      ...props,
      env: { account: environment.aws.account, region: environment.aws.region },
      terminationProtection: environment.production,
      description: `${service.name} ${environment.name}: VPC, RDS MySQL, EKS, add-ons and Argo CD`,
    });
    Tags.of(this).add('service', service.name);
    Tags.of(this).add('environment', environment.name);
    this.clusterName = `${service.name}-${environment.name}`;
    const logRetention = retentionDays(settings.logRetentionDays);
    // Every log group of the environment (flow logs, control plane, RDS) is encrypted with this key.
    this.logsKey = new LogsKey(this, 'LogsKey', { description: `CloudWatch Logs of ${this.clusterName}` });
    Aspects.of(this).add(new LogGroupDefaults(this.logsKey.key, logRetention));
    Aspects.of(this).add(new AwsServiceGrantsOnly());

    this.network = new Network(this, 'Network', {
      layout: environmentSubnets(environment),
      availabilityZones: recordedAvailabilityZones(this.node, environment),
      natGateways: settings.natGateways,
      flowLogRetention: logRetention,
      flowLogEncryptionKey: this.logsKey.key,
    });
    const vpc = this.network.vpc;

    this.database = new Database(this, 'Database', {
      vpc,
      instanceIdentifier: `${service.name}-${environment.name}`,
      secretNames: {
        master: environment.secrets.database,
        app: environment.secrets.databaseApp,
        migrator: environment.secrets.databaseMigrator,
      },
      databaseName,
      instanceClass: settings.database.instanceClass,
      multiAz: environment.production,
      allocatedStorageGiB: settings.database.allocatedStorageGiB,
      maxAllocatedStorageGiB: settings.database.maxAllocatedStorageGiB,
      backupRetentionDays: settings.database.backupRetentionDays,
      rotationSubnets: { subnetGroupName: subnetGroups.nodes },
      logRetention,
      logEncryptionKey: this.logsKey.key,
    });

    this.jwtSecret = new JwtSigningSecret(this, 'JwtSecret', {
      secretName: environment.secrets.jwt,
      signingKeyField: externalSecrets.jwtKeys.signingKey,
    });

    this.kubernetes = new KubernetesCluster(this, 'Kubernetes', {
      vpc,
      clusterName: this.clusterName,
      kubernetesVersion,
      nodeGroup: settings.nodeGroup,
      adminRoleArn: settings.adminRoleArn,
      apiPublicAccessCidrs: settings.apiPublicAccessCidrs,
      logRetention,
      logEncryptionKey: this.logsKey.key,
    });
    const cluster = this.kubernetes.cluster;
    // Managed nodes and their pods carry the EKS cluster security group.
    this.database.allowFrom(cluster.clusterSecurityGroup, 'MySQL from EKS nodes and pods');

    this.baseline = new ClusterBaseline(this, 'Baseline', {
      config: props.config,
      vpc,
      kubernetes: this.kubernetes,
      clusterName: this.clusterName,
      logRetention,
    });

    const loadBalancerController = new AwsLoadBalancerController(this, 'AwsLoadBalancerController', { cluster, vpc });
    if (loadBalancerController.addon.role) this.baseline.edge.allowWebAclLookup(loadBalancerController.addon.role);
    this.externalSecrets = new ExternalSecretsOperator(this, 'ExternalSecrets', {
      cluster,
      // The master too: the provisioning Job (k8s/) creates the application and migration users with it.
      secrets: [
        this.database.secret,
        this.database.appSecret,
        this.database.migratorSecret,
        this.jwtSecret.secret,
        this.baseline.cache.secret,
      ],
      consumerNamespaces: [environment.namespace],
    });
    this.alertTopic = new AlertTopic(this, 'Alerts', {
      topicName: `${this.clusterName}-alerts`,
      subscriptions: settings.alerting.subscriptions,
    });
    const monitoringStack = new KubePrometheusStack(this, 'KubePrometheusStack', {
      cluster,
      alertTopic: this.alertTopic.topic,
      alertRouting: settings.alerting,
      environmentName: environment.name,
      storage: { storageClassName: this.baseline.ebsCsiDriver.storageClassName, ...settings.monitoringStorage },
    });
    // Its volumes are claimed from the default StorageClass, which the EBS CSI driver serves.
    monitoringStack.node.addDependency(this.baseline.ebsCsiDriver);
    // Charts that ship ServiceMonitors (and the platform PrometheusRule) need the Prometheus Operator's CRDs.
    for (const monitored of [...this.baseline.monitored, loadBalancerController, this.externalSecrets]) {
      monitored.node.addDependency(monitoringStack);
    }
    // A rotated password or key reaches running pods: the server's Rollout restarts when its Secret changes.
    const reloader = new Reloader(this, 'Reloader', { cluster, namespaces: [environment.namespace] });
    reloader.node.addDependency(this.kubernetes.nodeGroup);
    // The HorizontalPodAutoscalers of charts-out/ scale on CPU utilisation, which only the Metrics API serves.
    this.metricsServer = new MetricsServer(this, 'MetricsServer', { cluster });
    this.argoCd = new ArgoCd(this, 'ArgoCd', {
      cluster,
      repoUrl: settings.argocd.repoUrl,
      targetRevision: settings.argocd.targetRevision,
      path: gitRepository.argocdDir,
      include: argoCdIncludeFor(environment.name),
      environment,
      rootName: `${service.name}-${environment.name}`,
      adminEnabled: settings.argocd.adminEnabled,
      oidc: settings.argocd.oidc,
      operations: settings.argocdOperations,
    });
    this.argoCd.node.addDependency(monitoringStack);
    // Charts wait for their pods: nodes first.
    for (const addon of [
      loadBalancerController,
      this.externalSecrets,
      monitoringStack,
      this.metricsServer,
      this.argoCd,
    ]) {
      addon.node.addDependency(this.kubernetes.nodeGroup);
    }
    // The first sync creates Ingresses, ExternalSecrets, ServiceMonitors and HorizontalPodAutoscalers: their
    // controllers, CRDs and the Metrics API come first.
    this.argoCd.rootApplication.node.addDependency(
      loadBalancerController,
      this.externalSecrets,
      monitoringStack,
      this.metricsServer,
      ...this.baseline.syncPrerequisites,
    );

    const certificate = new acm.Certificate(this, 'Certificate', {
      domainName: environment.host,
      validation: settings.hostedZone
        ? acm.CertificateValidation.fromDns(
            route53.HostedZone.fromHostedZoneAttributes(this, 'HostedZone', {
              hostedZoneId: settings.hostedZone.id,
              zoneName: settings.hostedZone.name,
            }),
          )
        : acm.CertificateValidation.fromDns(),
    });

    const region = environment.aws.region;
    new CfnOutput(this, 'ClusterName', { value: this.clusterName });
    new CfnOutput(this, 'KubeconfigCommand', {
      description: 'Run with the admin role credentials',
      value: `aws eks update-kubeconfig --name ${this.clusterName} --region ${region} --role-arn ${settings.adminRoleArn}`,
    });
    new CfnOutput(this, 'ArgoCdAccessCommand', {
      description: `Then open ${argoCdLocalUrl}`,
      value: argoCdPortForwardCommand,
    });
    if (settings.argocd.adminEnabled) {
      new CfnOutput(this, 'ArgoCdAdminPasswordCommand', { value: argoCdAdminPasswordCommand });
    }
    new CfnOutput(this, 'EcrRepositoryUri', { value: imageRepository(environment) });
    new CfnOutput(this, 'DatabaseEndpoint', { value: this.database.instance.dbInstanceEndpointAddress });
    new CfnOutput(this, 'DatabaseSecretName', { value: environment.secrets.database });
    new CfnOutput(this, 'DatabaseAppSecretName', { value: environment.secrets.databaseApp });
    new CfnOutput(this, 'DatabaseMigratorSecretName', { value: environment.secrets.databaseMigrator });
    new CfnOutput(this, 'JwtSecretName', { value: environment.secrets.jwt });
    new CfnOutput(this, 'AlertTopicArn', {
      description: 'Alertmanager publishes here; subscribe more endpoints in cluster/config/environments.ts',
      value: this.alertTopic.topic.topicArn,
    });
    new CfnOutput(this, 'CertificateArn', {
      description: 'ACM certificate the ALB controller discovers for the Ingress host',
      value: certificate.certificateArn,
    });
  }
}

/** The file of argocd/ one cluster applies: its environment's Application (the add-on creates the AppProjects). */
export function argoCdIncludeFor(environmentName: string): string {
  return `Application.${service.name}-${environmentName}.yaml`;
}

/** The schema admits only periods CloudWatch Logs offers; this finds the matching RetentionDays member. */
function retentionDays(days: number): logs.RetentionDays {
  const member = (Object.values(logs.RetentionDays) as unknown[]).find(
    (value): value is logs.RetentionDays => value === days,
  );
  if (member === undefined) throw new Error(`CloudWatch Logs has no ${days}-day retention`);
  return member;
}
