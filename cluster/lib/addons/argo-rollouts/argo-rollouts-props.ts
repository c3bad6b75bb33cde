import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import type { HelmChartPin } from '../helm-addon/index.js';

export interface ArgoRolloutsProps {
  readonly cluster: eks.ICluster;
  /** @default 2 */
  readonly replicas?: number;
  /**
   * Let the controller check, before it moves a canary step on, that the ALB's target group really holds the new
   * pods and weights (`--aws-verify-target-group`); needs read-only Elastic Load Balancing permissions.
   * @default true
   */
  readonly verifyTargetGroups?: boolean;
  /** @default chartPins.argoRollouts */
  readonly pin?: HelmChartPin;
}
