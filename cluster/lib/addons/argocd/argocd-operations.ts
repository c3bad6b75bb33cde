import { monitoring } from '../../../../platform/environments.js';
import { chartPins } from '../charts.js';

/** How Argo CD runs beyond its defaults: replicas and notifications. */
export interface ArgoCdOperations {
  /**
   * Several replicas of the server, repo server and ApplicationSet controller, two application controllers, and
   * Redis HA (three Redis and HAProxy pods, one per node: needs at least three nodes).
   */
  readonly highAvailability: boolean;
  /** Minutes an Application may stay OutOfSync before a notification goes out. */
  readonly outOfSyncMinutes: number;
}

/** kube-prometheus-stack's Alertmanager Service: Argo CD notifications go there, routed like every alert. */
export const alertmanagerTarget = `${chartPins.kubePrometheusStack.release}-alertmanager.${monitoring.namespace}.svc:9093`;

/** The notifications the platform sends, each a trigger of the same name (on-<name>). */
export const argoCdNotificationTriggers = ['sync-failed', 'health-degraded', 'out-of-sync-too-long'] as const;

const alert = (alertname: string, severity: 'warning' | 'critical', summary: string): string =>
  JSON.stringify({
    message: summary,
    alertmanager: {
      labels: {
        alertname,
        severity,
        namespace: '{{.app.metadata.namespace}}',
        application: '{{.app.metadata.name}}',
        project: '{{.app.spec.project}}',
      },
      annotations: {
        summary,
        revision: '{{.app.status.sync.revision}}',
        message: '{{with .app.status.operationState}}{{.message}}{{end}}',
      },
    },
  });

/**
 * Chart values for high availability (argo-helm's "HA mode" example) and for notifications to Alertmanager: sync
 * failed, health degraded and out of sync for too long, for every Application (a default subscription). Alertmanager
 * groups, silences and routes them like the Prometheus alerts (to the environment's SNS topic).
 */
export function argoCdOperationsValues(operations: ArgoCdOperations): Record<string, unknown> {
  const replicas = operations.highAvailability ? 2 : 1;
  const pdb = operations.highAvailability ? { enabled: true, minAvailable: 1 } : { enabled: false };
  const metrics = {
    enabled: true,
    serviceMonitor: { enabled: true, additionalLabels: { ...monitoring.prometheusSelectorLabels } },
  };
  return {
    'redis-ha': { enabled: operations.highAvailability },
    // The chart's non-HA Redis runs only without redis-ha.
    redis: { enabled: !operations.highAvailability },
    controller: {
      replicas,
      // A second controller takes over the cluster's applications when one goes (otherwise shards are static).
      dynamicClusterDistribution: operations.highAvailability,
      pdb,
      metrics,
    },
    server: { replicas, pdb, metrics },
    repoServer: { replicas, pdb, metrics },
    applicationSet: { replicas, pdb, metrics },
    notifications: {
      enabled: true,
      metrics,
      notifiers: { 'service.alertmanager': JSON.stringify({ targets: [alertmanagerTarget] }) },
      triggers: {
        'trigger.on-sync-failed': JSON.stringify([
          {
            description: 'A sync ended in Error or Failed',
            oncePer: 'app.status.operationState.syncResult.revision',
            send: ['sync-failed'],
            when: "app.status.operationState != nil and app.status.operationState.phase in ['Error', 'Failed']",
          },
        ]),
        'trigger.on-health-degraded': JSON.stringify([
          {
            description: 'The application became Degraded',
            send: ['health-degraded'],
            when: "app.status.health.status == 'Degraded'",
          },
        ]),
        'trigger.on-out-of-sync-too-long': JSON.stringify([
          {
            description: `OutOfSync for ${operations.outOfSyncMinutes} minutes since the last sync finished`,
            oncePer: 'app.status.sync.revision',
            send: ['out-of-sync-too-long'],
            when:
              "app.status.sync.status == 'OutOfSync' and app.status.operationState != nil and " +
              `time.Now().Sub(time.Parse(app.status.operationState.finishedAt)).Minutes() >= ${operations.outOfSyncMinutes}`,
          },
        ]),
      },
      templates: {
        'template.sync-failed': alert('ArgoCdSyncFailed', 'warning', 'Sync of {{.app.metadata.name}} failed'),
        'template.health-degraded': alert(
          'ArgoCdApplicationDegraded',
          'critical',
          '{{.app.metadata.name}} is Degraded',
        ),
        'template.out-of-sync-too-long': alert(
          'ArgoCdApplicationOutOfSync',
          'warning',
          `{{.app.metadata.name}} has been OutOfSync for ${operations.outOfSyncMinutes} minutes`,
        ),
      },
      subscriptions: [
        {
          recipients: ['alertmanager'],
          triggers: argoCdNotificationTriggers.map((trigger) => `on-${trigger}`),
        },
      ],
    },
  };
}
