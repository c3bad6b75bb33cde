import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Aws, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { parseAllDocuments } from 'yaml';
import { chartPins } from '../charts.js';
import { HelmAddon } from '../helm-addon/index.js';
import type { AwsLoadBalancerControllerProps } from './aws-load-balancer-controller-props.js';
import { acknowledgeControllerPolicy } from './nag-acknowledgements.js';
import { monitoring } from '../../../../platform/environments.js';

/** The service account the chart creates and EKS Pod Identity gives the controller's role to. */
export const loadBalancerControllerServiceAccount = 'aws-load-balancer-controller';

const defaultProps = { pin: chartPins.awsLoadBalancerController, replicas: 2 };

/**
 * The controller's IAM policy and CRDs of a chart version, vendored from the controller's git tag
 * (docs/install/iam_policy.json and helm/aws-load-balancer-controller/crds/crds.yaml) beside this file: the policy
 * must match the version, and the CRDs must follow the pin (Helm never upgrades a chart's crds/).
 */
export function controllerRelease(version: string): {
  statements: iam.PolicyStatement[];
  crds: Record<string, unknown>[];
} {
  const file = (name: string): string => {
    const path = join(import.meta.dirname, name);
    try {
      return readFileSync(path, 'utf8');
    } catch {
      throw new Error(
        `AWS Load Balancer Controller ${version}: ${name} is missing beside ${import.meta.filename}; vendor it from ` +
          `https://github.com/kubernetes-sigs/aws-load-balancer-controller/tree/v${version} before bumping the pin`,
      );
    }
  };
  const policyJson = file(`iam-policy-v${version}.json`).replaceAll('arn:aws:', `arn:${Aws.PARTITION}:`);
  const crds = parseAllDocuments(file(`crds-v${version}.yaml`))
    .map((document) => document.toJSON() as Record<string, unknown> | null)
    .filter((document): document is Record<string, unknown> => document !== null);
  const policy = JSON.parse(policyJson) as { Statement: unknown[] };
  return { statements: policy.Statement.map((statement) => iam.PolicyStatement.fromJson(statement)), crds };
}

/**
 * AWS Load Balancer Controller by Helm, with an EKS Pod Identity role holding the policy the controller publishes for
 * the pinned version, and its CRDs applied from that same version on every pin change. Its webhook injects the pod
 * readiness gates that charts-out/ relies on.
 */
export class AwsLoadBalancerController extends Construct {
  readonly addon: HelmAddon;

  constructor(scope: Construct, id: string, props: AwsLoadBalancerControllerProps) {
    super(scope, id);
    const { cluster, vpc, pin, replicas } = { ...defaultProps, ...props };
    const release = controllerRelease(pin.version);
    this.addon = new HelmAddon(this, 'Addon', {
      cluster,
      pin,
      skipCrds: true,
      values: {
        clusterName: cluster.clusterName,
        // Pods cannot reach the instance metadata service (IMDSv2, one hop): the controller is told where it runs.
        region: Stack.of(this).region,
        vpcId: vpc.vpcId,
        replicaCount: replicas,
        serviceAccount: { create: true, name: loadBalancerControllerServiceAccount },
        // Services of type LoadBalancer are not used; only Ingress (ALB) is.
        enableServiceMutatorWebhook: false,
        // Reconcile errors feed the platform alerts (cluster/lib/addons/platform-alerts).
        serviceMonitor: { enabled: true, additionalLabels: { ...monitoring.prometheusSelectorLabels } },
      },
      podIdentity: {
        serviceAccount: loadBalancerControllerServiceAccount,
        statements: release.statements,
      },
    });
    this.addon.addCrds('Crds', release.crds);
    if (this.addon.role) acknowledgeControllerPolicy(this.addon.role);
  }
}
