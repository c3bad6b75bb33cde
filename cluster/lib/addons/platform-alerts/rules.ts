import { gitRepository } from '../../../../platform/environments.js';

/** A Prometheus alerting rule as the Prometheus Operator's PrometheusRule holds it. */
export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: { readonly severity: 'critical' | 'warning' };
  readonly annotations: { readonly summary: string; readonly description: string; readonly runbook_url: string };
}

export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly AlertRule[];
}

export interface PlatformAlertSettings {
  /** How long an Application may stay OutOfSync before anyone is told (auto-sync normally fixes it in minutes). */
  readonly outOfSyncFor: string;
  /** Share of a NodePool's vCPU limit above which Karpenter is about to stop adding nodes. */
  readonly nodePoolCpuWarningRatio: number;
}

export const platformAlertNames = {
  argoCdSyncFailed: 'ArgoCdSyncFailed',
  argoCdDegraded: 'ArgoCdApplicationDegraded',
  argoCdOutOfSync: 'ArgoCdApplicationOutOfSync',
  externalSecretNotSynced: 'ExternalSecretNotSynced',
  loadBalancerReconcileErrors: 'LoadBalancerControllerReconcileErrors',
  karpenterCloudProviderErrors: 'KarpenterCloudProviderErrors',
  karpenterNodePoolNearLimit: 'KarpenterNodePoolNearLimit',
} as const;

/** The RUNBOOK heading of an alert, on the branch Argo CD follows (as the service's alerts link theirs). */
const runbook = (section: string) =>
  `https://github.com/${gitRepository.slug}/blob/${gitRepository.targetRevision}/RUNBOOK.md#${section}`;

/**
 * Alerts on the platform's own controllers, from the metrics their charts export (ServiceMonitors enabled on each):
 * a failed or stuck delivery, a secret that stopped syncing, an ALB the controller cannot reconcile, nodes Karpenter
 * cannot launch. Each names the object in its labels, never a user.
 */
export function platformAlertGroups(settings: PlatformAlertSettings): RuleGroup[] {
  return [
    {
      name: 'argocd',
      rules: [
        {
          alert: platformAlertNames.argoCdSyncFailed,
          expr: 'sum by (name, project) (increase(argocd_app_sync_total{phase=~"Error|Failed"}[10m])) > 0',
          for: '0m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'Argo CD sync of {{ $labels.name }} failed',
            description: 'A sync of Application {{ $labels.name }} ended in Error or Failed in the last 10 minutes.',
            runbook_url: runbook('argo-cd-sync-failed'),
          },
        },
        {
          alert: platformAlertNames.argoCdDegraded,
          expr: 'max by (name, project) (argocd_app_info{health_status="Degraded"}) == 1',
          for: '10m',
          labels: { severity: 'critical' },
          annotations: {
            summary: 'Argo CD Application {{ $labels.name }} is Degraded',
            description: 'Application {{ $labels.name }} has reported health Degraded for 10 minutes.',
            runbook_url: runbook('argo-cd-application-degraded'),
          },
        },
        {
          alert: platformAlertNames.argoCdOutOfSync,
          expr: 'max by (name, project) (argocd_app_info{sync_status="OutOfSync"}) == 1',
          for: settings.outOfSyncFor,
          labels: { severity: 'warning' },
          annotations: {
            summary: 'Argo CD Application {{ $labels.name }} stays OutOfSync',
            description: `Application {{ $labels.name }} has differed from git for ${settings.outOfSyncFor}.`,
            runbook_url: runbook('argo-cd-out-of-sync'),
          },
        },
      ],
    },
    {
      name: 'external-secrets',
      rules: [
        {
          alert: platformAlertNames.externalSecretNotSynced,
          expr: 'max by (namespace, name) (externalsecret_status_condition{condition="Ready", status="False"}) == 1',
          for: '10m',
          labels: { severity: 'critical' },
          annotations: {
            summary: 'ExternalSecret {{ $labels.namespace }}/{{ $labels.name }} is not synced',
            description:
              'The Secret it writes keeps its last value: a rotated credential in Secrets Manager does not reach the pods.',
            runbook_url: runbook('external-secret-not-synced'),
          },
        },
      ],
    },
    {
      name: 'aws-load-balancer-controller',
      rules: [
        {
          alert: platformAlertNames.loadBalancerReconcileErrors,
          expr: 'sum by (controller) (rate(controller_runtime_reconcile_errors_total{job="aws-load-balancer-controller"}[10m])) > 0',
          for: '15m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'The AWS Load Balancer Controller fails to reconcile {{ $labels.controller }}',
            description: 'Ingress or target changes are not reaching the ALB (see the controller logs).',
            runbook_url: runbook('load-balancer-controller-errors'),
          },
        },
      ],
    },
    {
      name: 'karpenter',
      rules: [
        {
          alert: platformAlertNames.karpenterCloudProviderErrors,
          expr: 'sum by (method, error) (rate(karpenter_cloudprovider_errors_total[10m])) > 0',
          for: '15m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'Karpenter gets {{ $labels.error }} from EC2 ({{ $labels.method }})',
            description: 'Karpenter cannot launch or manage nodes: pending pods may wait.',
            runbook_url: runbook('karpenter-errors'),
          },
        },
        {
          alert: platformAlertNames.karpenterNodePoolNearLimit,
          expr:
            'max by (nodepool) (karpenter_nodepools_usage{resource_type="cpu"})' +
            ' / max by (nodepool) (karpenter_nodepools_limit{resource_type="cpu"})' +
            ` > ${settings.nodePoolCpuWarningRatio}`,
          for: '15m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'NodePool {{ $labels.nodepool }} is near its vCPU limit',
            description: 'Karpenter stops adding nodes at the limit (cluster settings karpenter.cpuLimit).',
            runbook_url: runbook('karpenter-errors'),
          },
        },
      ],
    },
  ];
}
