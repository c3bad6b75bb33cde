/** Sizes of the monitoring stack's persistent volumes (cluster settings `monitoringStorage`). */
export interface MonitoringStorage {
  readonly storageClassName: string;
  readonly prometheusGiB: number;
  readonly alertmanagerGiB: number;
  readonly grafanaGiB: number;
}

const claim = (storageClassName: string, gib: number) => ({
  volumeClaimTemplate: {
    spec: {
      storageClassName,
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: `${gib}Gi` } },
    },
  },
});

/**
 * kube-prometheus-stack values that keep Prometheus's TSDB, Alertmanager's silences and notification log, and
 * Grafana's database on EBS volumes instead of emptyDir, so a pod that moves keeps its history. Prometheus also stops
 * at 90 % of its volume (retentionSize) rather than filling it; Grafana is recreated rather than rolled, as its
 * ReadWriteOnce volume can be mounted by one pod at a time.
 */
export function monitoringStorageValues(storage: MonitoringStorage): Record<string, unknown> {
  return {
    prometheus: {
      prometheusSpec: {
        storageSpec: claim(storage.storageClassName, storage.prometheusGiB),
        retentionSize: `${Math.floor(storage.prometheusGiB * 0.9)}GB`,
      },
    },
    alertmanager: { alertmanagerSpec: { storage: claim(storage.storageClassName, storage.alertmanagerGiB) } },
    grafana: {
      persistence: {
        enabled: true,
        type: 'pvc',
        storageClassName: storage.storageClassName,
        accessModes: ['ReadWriteOnce'],
        size: `${storage.grafanaGiB}Gi`,
      },
      deploymentStrategy: { type: 'Recreate' },
    },
  };
}

type Values = Readonly<Record<string, unknown>>;

const isPlainObject = (value: unknown): value is Values =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Chart values merged key by key (objects deeply, anything else replaced by `extra`). */
export function mergeValues(base: Values, extra: Values): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = merged[key];
    merged[key] = isPlainObject(current) && isPlainObject(value) ? mergeValues(current, value) : value;
  }
  return merged;
}
