import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { HelmChartPin } from '../helm-addon/index.js';

export interface ContainerLogsProps {
  readonly cluster: eks.ICluster;
  readonly clusterName: string;
  /** How long container logs are kept. */
  readonly retention: logs.RetentionDays;
  /** @default - a key of its own, rotated yearly */
  readonly encryptionKey?: kms.IKey;
  /** @default chartPins.awsForFluentBit */
  readonly pin?: HelmChartPin;
}
