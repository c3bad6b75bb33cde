import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import type { PlatformAlertSettings } from './rules.js';

export interface PlatformAlertsProps extends Partial<PlatformAlertSettings> {
  readonly cluster: eks.ICluster;
}
