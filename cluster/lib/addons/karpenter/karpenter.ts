import { Duration, Stack, Tags } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { monitoring } from '../../../../platform/environments.js';
import { chartPins } from '../charts.js';
import { HelmAddon } from '../helm-addon/index.js';
import { karpenterControllerStatements, karpenterWildcardReasons } from './controller-policy.js';
import { acknowledgeControllerWildcards, acknowledgeKarpenterFindings } from './nag-acknowledgements.js';
import { ec2NodeClass, nodePool, type KarpenterCapacity } from './node-pool.js';
import type { KarpenterProps } from './karpenter-props.js';

export const karpenterServiceAccount = 'karpenter';

/** EventBridge events Karpenter acts on before AWS takes an instance away (names as Karpenter's template uses). */
export const interruptionEvents = {
  ScheduledChange: { source: ['aws.health'], detailType: ['AWS Health Event'] },
  SpotInterruption: { source: ['aws.ec2'], detailType: ['EC2 Spot Instance Interruption Warning'] },
  Rebalance: { source: ['aws.ec2'], detailType: ['EC2 Instance Rebalance Recommendation'] },
  InstanceStateChange: { source: ['aws.ec2'], detailType: ['EC2 Instance State-change Notification'] },
  CapacityReservationInterruption: {
    source: ['aws.ec2'],
    detailType: ['EC2 Capacity Reservation Instance Interruption Warning'],
  },
} as const;

/**
 * Karpenter: node autoscaling for the workloads (the HPA's extra pods, zone-spread replicas), while the small
 * managed node group keeps running the controllers (Karpenter included: its chart's default affinity keeps it off
 * the nodes it launches). The node role, its EKS access entry, the interruption queue with its EventBridge rules,
 * the pinned chart with the controller's scoped permissions, and the default EC2NodeClass and NodePool.
 */
export class Karpenter extends Construct {
  readonly addon: HelmAddon;
  readonly nodeRole: iam.Role;
  readonly interruptionQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: KarpenterProps) {
    super(scope, id);
    validateCapacity(props.capacity);
    const stack = Stack.of(this);
    const pin = props.pin ?? chartPins.karpenter;
    const subnetDiscoveryTag = { 'karpenter.sh/discovery': props.clusterName };
    for (const subnet of props.nodeSubnets) Tags.of(subnet).add('karpenter.sh/discovery', props.clusterName);

    // The same managed policies as the managed node group's role (what EKS documents for nodes), nothing more.
    this.nodeRole = new iam.Role(this, 'NodeRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: `Nodes Karpenter launches for ${props.clusterName}`,
      managedPolicies: ['AmazonEKSWorkerNodePolicy', 'AmazonEKS_CNI_Policy', 'AmazonEC2ContainerRegistryPullOnly'].map(
        (name) => iam.ManagedPolicy.fromAwsManagedPolicyName(name),
      ),
    });
    new eks.AccessEntry(this, 'NodeAccess', {
      cluster: props.cluster,
      principal: this.nodeRole.roleArn,
      accessEntryType: eks.AccessEntryType.EC2_LINUX,
      accessPolicies: [],
    });

    this.interruptionQueue = new sqs.Queue(this, 'InterruptionQueue', {
      // Interruption notices are useful for two minutes at most.
      retentionPeriod: Duration.minutes(5),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    for (const [name, pattern] of Object.entries(interruptionEvents)) {
      new events.Rule(this, `${name}Rule`, {
        description: `Karpenter interruption handling (${props.clusterName}): ${pattern.detailType[0]}`,
        eventPattern: { source: [...pattern.source], detailType: [...pattern.detailType] },
        targets: [new targets.SqsQueue(this.interruptionQueue)],
      });
    }

    // Helm installs a chart's crds/ once and never upgrades them: the CRDs come from the karpenter-crd chart at the
    // same version (its CRDs are templates), installed first, and the controller's chart skips its own copy.
    const crdPin = chartPins.karpenterCrd;
    const crdChart = new eks.HelmChart(this, 'Crds', {
      cluster: props.cluster,
      chart: crdPin.chart,
      repository: crdPin.repository,
      version: pin.version,
      release: crdPin.release,
      namespace: crdPin.namespace,
      createNamespace: false,
      wait: true,
      atomic: true,
    });

    this.addon = new HelmAddon(this, 'Addon', {
      cluster: props.cluster,
      pin,
      skipCrds: true,
      values: {
        replicas: 2,
        serviceAccount: { create: true, name: karpenterServiceAccount },
        settings: { clusterName: props.clusterName, interruptionQueue: this.interruptionQueue.queueName },
        serviceMonitor: { enabled: true, additionalLabels: { ...monitoring.prometheusSelectorLabels } },
      },
      podIdentity: {
        serviceAccount: karpenterServiceAccount,
        statements: karpenterControllerStatements({
          clusterName: props.clusterName,
          partition: stack.partition,
          region: stack.region,
          account: stack.account,
          nodeRoleArn: this.nodeRole.roleArn,
          interruptionQueueArn: this.interruptionQueue.queueArn,
        }),
      },
    });

    this.addon.chart.node.addDependency(crdChart);

    const tags = { 'karpenter.sh/discovery': props.clusterName };
    this.addon.addManifest(
      'NodeClassAndPool',
      ec2NodeClass(
        { clusterName: props.clusterName, nodeRoleName: this.nodeRole.roleName, subnetDiscoveryTag, tags },
        props.capacity,
      ),
      nodePool(props.capacity),
    );

    acknowledgeControllerWildcards(this.addon, karpenterWildcardReasons(stack));
    acknowledgeKarpenterFindings(this.nodeRole, this.interruptionQueue);
  }
}

function validateCapacity(capacity: KarpenterCapacity): void {
  if (capacity.capacityTypes.length === 0) throw new Error('Karpenter capacityTypes must name at least one type');
  if (capacity.instanceCategories.length === 0) throw new Error('Karpenter instanceCategories must not be empty');
  if (!Number.isInteger(capacity.cpuLimit) || capacity.cpuLimit < 2) {
    throw new Error(`Karpenter cpuLimit must be an integer of at least 2 vCPUs, got ${capacity.cpuLimit}`);
  }
}
