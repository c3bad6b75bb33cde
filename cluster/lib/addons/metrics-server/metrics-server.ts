import { Construct } from 'constructs';
import { chartPins } from '../charts.js';
import { HelmAddon } from '../helm-addon/index.js';
import type { MetricsServerProps } from './metrics-server-props.js';

const defaultProps = { replicas: 2, pin: chartPins.metricsServer };

/**
 * Kubernetes Metrics Server: serves metrics.k8s.io, the CPU and memory figures every HorizontalPodAutoscaler of
 * charts-out/ scales on (without it they report FailedGetResourceMetric and never scale), and `kubectl top`.
 *
 * Helm rather than the EKS community add-on `metrics-server`: it is pinned like every other add-on here (one record
 * in charts.ts, one chart version whatever the cluster version, where the EKS add-on's `-eksbuild` versions differ per
 * Kubernetes minor), and the chart's values.yaml documents replicas, the disruption budget and the topology spread
 * this needs, where the add-on's configuration schema is only known by asking EKS (describe-addon-configuration).
 */
export class MetricsServer extends Construct {
  readonly addon: HelmAddon;

  constructor(scope: Construct, id: string, props: MetricsServerProps) {
    super(scope, id);
    const { cluster, pin, replicas } = { ...defaultProps, ...props };
    // The chart's pod selector labels (its selectorLabels helper: chart name and release).
    const podLabels = { 'app.kubernetes.io/name': pin.chart, 'app.kubernetes.io/instance': pin.release };
    this.addon = new HelmAddon(this, 'Addon', {
      cluster,
      pin,
      values: {
        // Every HPA depends on it: two replicas (the APIService load-balances over them), never both on one node
        // (node groups have at least two nodes), preferably in different zones, and a drain keeps one running.
        replicas,
        topologySpreadConstraints: [
          {
            maxSkew: 1,
            topologyKey: 'kubernetes.io/hostname',
            whenUnsatisfiable: 'DoNotSchedule',
            labelSelector: { matchLabels: podLabels },
          },
          {
            maxSkew: 1,
            topologyKey: 'topology.kubernetes.io/zone',
            whenUnsatisfiable: 'ScheduleAnyway',
            labelSelector: { matchLabels: podLabels },
          },
        ],
        podDisruptionBudget: { enabled: true, minAvailable: 1 },
      },
    });
  }
}
