import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { monitoring } from '../../../../platform/environments.js';
import { chartPins } from '../charts.js';
import { HelmAddon } from '../helm-addon/index.js';
import { acknowledgeVerificationPolicy } from './nag-acknowledgements.js';
import type { ArgoRolloutsProps } from './argo-rollouts-props.js';

/** The controller's service account, named so its Pod Identity / IAM role binds to it. */
export const argoRolloutsServiceAccount = 'argo-rollouts';

/** What target-group verification reads: describe calls only (none of them takes a resource ARN). */
export const targetGroupVerificationActions = [
  'elasticloadbalancing:DescribeTargetGroups',
  'elasticloadbalancing:DescribeLoadBalancers',
  'elasticloadbalancing:DescribeListeners',
  'elasticloadbalancing:DescribeRules',
  'elasticloadbalancing:DescribeTags',
  'elasticloadbalancing:DescribeTargetHealth',
] as const;

/**
 * Argo Rollouts by Helm: the controller that runs the server's Rollout (canary with ALB traffic routing, judged by
 * the AnalysisTemplate in charts-out/). Two replicas with leader election and a disruption budget; its metrics
 * scraped by the platform Prometheus; no dashboard (operators use `kubectl argo rollouts`); RBAC for the ALB
 * traffic router only, not for the service meshes the chart would otherwise allow.
 */
export class ArgoRollouts extends Construct {
  readonly addon: HelmAddon;

  constructor(scope: Construct, id: string, props: ArgoRolloutsProps) {
    super(scope, id);
    const pin = props.pin ?? chartPins.argoRollouts;
    const replicas = props.replicas ?? 2;
    const verifyTargetGroups = props.verifyTargetGroups ?? true;
    this.addon = new HelmAddon(this, 'Addon', {
      cluster: props.cluster,
      pin,
      values: {
        installCRDs: true,
        // Deleting the chart must never delete every Rollout (CRD removal cascades to its objects).
        keepCRDs: true,
        controller: {
          replicas,
          pdb: { enabled: true, minAvailable: 1 },
          topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' },
            { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' },
          ],
          awsVerifyTargetGroup: verifyTargetGroups,
          metrics: {
            enabled: true,
            serviceMonitor: { enabled: true, additionalLabels: { ...monitoring.prometheusSelectorLabels } },
          },
        },
        dashboard: { enabled: false },
        serviceAccount: { create: true, name: argoRolloutsServiceAccount },
        providerRBAC: {
          enabled: true,
          providers: {
            istio: false,
            smi: false,
            ambassador: false,
            awsLoadBalancerController: true,
            awsAppMesh: false,
            traefik: false,
            apisix: false,
            contour: false,
            glooPlatform: false,
            gatewayAPI: false,
          },
        },
      },
      podIdentity: verifyTargetGroups
        ? {
            serviceAccount: argoRolloutsServiceAccount,
            statements: [
              new iam.PolicyStatement({
                sid: 'VerifyTargetGroups',
                actions: [...targetGroupVerificationActions],
                resources: ['*'],
              }),
            ],
          }
        : undefined,
    });
    if (this.addon.role) acknowledgeVerificationPolicy(this.addon.role);
  }
}
