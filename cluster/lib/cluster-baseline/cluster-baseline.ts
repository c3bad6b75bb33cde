import type { IConstruct, IDependable } from 'constructs';
import { Construct } from 'constructs';
import { externalSecrets } from '../../../platform/environments.js';
import { subnetGroups } from '../../../platform/network.js';
import { edgeProtection } from '../../../platform/edge.js';
import { ArgoRollouts } from '../addons/argo-rollouts/index.js';
import { ContainerLogs } from '../addons/container-logs/index.js';
import { EbsCsiDriver } from '../addons/ebs-csi-driver/index.js';
import { ExternalDns } from '../addons/external-dns/index.js';
import { EdgeProtection } from '../edge-protection/index.js';
import { Karpenter } from '../addons/karpenter/index.js';
import { PlatformAlerts } from '../addons/platform-alerts/index.js';
import { ValkeyCache } from '../valkey-cache/index.js';
import { VpcEndpoints } from '../vpc-endpoints/index.js';
import type { ClusterBaselineProps } from './cluster-baseline-props.js';

/**
 * What a platform team adds to a bare EKS cluster (issue 14), and the services the workload needs besides the
 * database: private endpoints to AWS, node autoscaling, the canary controller and the wake-up cache. Each part is
 * its own construct; this one wires them from the environment's configuration.
 */
export class ClusterBaseline extends Construct {
  readonly endpoints: VpcEndpoints;
  readonly cache: ValkeyCache;
  readonly karpenter: Karpenter;
  readonly argoRollouts: ArgoRollouts;
  readonly ebsCsiDriver: EbsCsiDriver;
  readonly edge: EdgeProtection;
  readonly containerLogs: ContainerLogs;
  /** Only where the environment names its hosted zone. */
  readonly externalDns?: ExternalDns;
  readonly platformAlerts: PlatformAlerts;
  /** What ships ServiceMonitors or PrometheusRules: apply after kube-prometheus-stack (its CRDs). */
  readonly monitored: readonly IConstruct[];
  /** Controllers and CRDs the first Argo CD sync needs (the Rollout kind, the node capacity). */
  readonly syncPrerequisites: readonly IDependable[];

  constructor(scope: Construct, id: string, props: ClusterBaselineProps) {
    super(scope, id);
    const { environment, settings } = props.config;
    const { vpc } = props;
    const cluster = props.kubernetes.cluster;
    const nodeSubnets = { subnetGroupName: subnetGroups.nodes };

    this.endpoints = new VpcEndpoints(this, 'VpcEndpoints', {
      vpc,
      subnets: nodeSubnets,
      vpcCidr: environment.vpcCidr,
    });

    this.cache = new ValkeyCache(this, 'Cache', {
      vpc,
      subnets: { subnetGroupName: subnetGroups.database },
      cacheName: props.clusterName,
      secretName: environment.secrets.redis,
      secretKeys: externalSecrets.redisKeys,
      // Managed and Karpenter nodes, and their pods, carry the EKS cluster security group.
      clients: [cluster.clusterSecurityGroup],
      ...settings.cache,
    });

    this.karpenter = new Karpenter(this, 'Karpenter', {
      cluster,
      clusterName: props.clusterName,
      nodeSubnets: vpc.selectSubnets(nodeSubnets).subnets,
      capacity: settings.karpenter,
    });
    this.argoRollouts = new ArgoRollouts(this, 'ArgoRollouts', { cluster });

    // Volumes for the monitoring stack (its charts wait for the default StorageClass).
    this.ebsCsiDriver = new EbsCsiDriver(this, 'EbsCsiDriver', { cluster });

    this.containerLogs = new ContainerLogs(this, 'ContainerLogs', {
      cluster,
      clusterName: props.clusterName,
      retention: props.logRetention,
    });
    if (settings.hostedZone) {
      this.externalDns = new ExternalDns(this, 'ExternalDns', {
        cluster,
        hostedZone: settings.hostedZone,
        ownerId: props.clusterName,
      });
    }

    // Charts wait for their pods: the managed node group (which runs the controllers) comes first.
    const charts = [
      this.karpenter,
      this.argoRollouts,
      this.containerLogs,
      ...(this.externalDns ? [this.externalDns] : []),
    ];
    for (const chart of charts) chart.node.addDependency(props.kubernetes.nodeGroup);

    this.edge = new EdgeProtection(this, 'Edge', { names: edgeProtection(environment), ...settings.edge });

    this.platformAlerts = new PlatformAlerts(this, 'PlatformAlerts', { cluster });

    this.monitored = [...charts, this.platformAlerts];
    this.syncPrerequisites = [this.argoRollouts, this.karpenter];
  }
}
