import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { monitoring } from '../../../../platform/environments.js';
import { chartPins } from '../charts.js';
import { HelmAddon } from '../helm-addon/index.js';
import type { ContainerLogsProps } from './container-logs-props.js';
import { acknowledgeLogStreamWildcard } from './nag-acknowledgements.js';

export const fluentBitServiceAccount = 'aws-for-fluent-bit';

/** The log group of a cluster's container logs. */
export const containerLogGroupName = (clusterName: string): string => `/aws/eks/${clusterName}/containers`;

/**
 * One log stream per container of each pod, named so an operator finds a pod's logs after the pod is gone:
 * `<namespace>.<pod>.<container>` (Fluent Bit's record accessor syntax).
 */
export const containerLogStreamTemplate =
  "$kubernetes['namespace_name'].$kubernetes['pod_name'].$kubernetes['container_name']";

/**
 * Container logs that survive the pod: Fluent Bit (AWS for Fluent Bit, a DaemonSet on every node, Karpenter's
 * included) tails /var/log/containers, adds the pod's Kubernetes metadata and ships each container's lines to a
 * log group created here with the environment's retention and a KMS key. Fluent Bit may only write streams into
 * that one group (it creates no group and sets no retention itself).
 *
 * Fluent Bit rather than the amazon-cloudwatch-observability add-on: that add-on also runs the CloudWatch agent
 * (Container Insights metrics, billed per metric, which Prometheus already covers) and its role needs
 * CloudWatchAgentServerPolicy on every log group of the account.
 */
export class ContainerLogs extends Construct {
  readonly addon: HelmAddon;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ContainerLogsProps) {
    super(scope, id);
    const pin = props.pin ?? chartPins.awsForFluentBit;
    const stack = Stack.of(this);
    const logGroupName = containerLogGroupName(props.clusterName);
    const logGroupArn = `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:${logGroupName}`;

    const key =
      props.encryptionKey ??
      new kms.Key(this, 'Key', {
        description: `Container logs of ${props.clusterName} (CloudWatch Logs)`,
        enableKeyRotation: true,
        removalPolicy: RemovalPolicy.RETAIN,
      });
    // CloudWatch Logs encrypts with the key only for this log group (the encryption-context condition).
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnEquals: {
            'kms:EncryptionContext:aws:logs:arn': logGroupArn,
          },
        },
      }),
    );
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName,
      retention: props.retention,
      encryptionKey: key,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.addon = new HelmAddon(this, 'Addon', {
      cluster: props.cluster,
      pin,
      values: {
        serviceAccount: { create: true, name: fluentBitServiceAccount },
        // Every node, whatever its taints: a node without the shipper loses its pods' logs.
        tolerations: [{ operator: 'Exists' }],
        resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
        cloudWatchLogs: {
          enabled: true,
          region: stack.region,
          logGroupName,
          logStreamPrefix: 'unlabelled-',
          logStreamTemplate: containerLogStreamTemplate,
          autoCreateGroup: false,
        },
        // Only CloudWatch Logs; the chart's other outputs stay off.
        cloudWatch: { enabled: false },
        firehose: { enabled: false },
        kinesis: { enabled: false },
        elasticsearch: { enabled: false },
        serviceMonitor: {
          enabled: true,
          labels: { ...monitoring.prometheusSelectorLabels },
        },
      },
      podIdentity: {
        serviceAccount: fluentBitServiceAccount,
        statements: [
          new iam.PolicyStatement({
            sid: 'WriteContainerLogStreams',
            actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
            resources: [logGroupArn, `${logGroupArn}:log-stream:*`],
          }),
        ],
      },
    });
    acknowledgeLogStreamWildcard(this.addon, logGroupArn);
  }
}
