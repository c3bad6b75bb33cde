import { serverMetricNames } from '../../../platform/metric-names.js';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The desktop channel's metrics. Labels are small closed sets (codes, reasons, message types), never user ids. */
export interface DesktopMetrics {
  readonly openConnections: Gauge;
  readonly closes: Counter<'code'>;
  readonly messagesReceived: Counter<'type'>;
  readonly messagesSent: Counter<'type'>;
  readonly rejectedUpgrades: Counter<'reason'>;
  readonly heartbeatTerminations: Counter;
  readonly slowConsumerDrops: Counter;
  readonly deliveryLag: Histogram;
  readonly codeRedemptions: Counter<'result'>;
}

const REDEMPTION_RESULTS = ['success', 'invalid_request', 'invalid_grant', 'replayed', 'throttled'] as const;

export function createDesktopMetrics(registry: Registry): DesktopMetrics {
  const registers = [registry];
  const metrics: DesktopMetrics = {
    openConnections: new Gauge({
      name: serverMetricNames.wsConnectionsOpen,
      help: 'Open desktop WebSocket connections on this replica',
      registers,
    }),
    closes: new Counter({
      name: serverMetricNames.wsCloses,
      help: 'Closed desktop WebSocket connections by close code',
      labelNames: ['code'],
      registers,
    }),
    messagesReceived: new Counter({
      name: serverMetricNames.wsMessagesReceived,
      help: 'Messages received from desktop clients by type',
      labelNames: ['type'],
      registers,
    }),
    messagesSent: new Counter({
      name: serverMetricNames.wsMessagesSent,
      help: 'Messages sent to desktop clients by type',
      labelNames: ['type'],
      registers,
    }),
    rejectedUpgrades: new Counter({
      name: serverMetricNames.wsRejectedUpgrades,
      help: 'Refused WebSocket upgrades on /ws/desktop by reason',
      labelNames: ['reason'],
      registers,
    }),
    heartbeatTerminations: new Counter({
      name: serverMetricNames.wsHeartbeatTerminations,
      help: 'Desktop connections terminated after a missed pong',
      registers,
    }),
    slowConsumerDrops: new Counter({
      name: serverMetricNames.wsSlowConsumerDrops,
      help: 'Desktop connections closed because their send buffer passed the ceiling',
      registers,
    }),
    deliveryLag: new Histogram({
      name: serverMetricNames.eventDeliveryLag,
      help: 'Time from an event being stored to it being sent on a desktop connection',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    codeRedemptions: new Counter({
      name: serverMetricNames.codeRedemptions,
      help: 'Desktop authorization code redemptions by result',
      labelNames: ['result'],
      registers,
    }),
  };
  // Every result exists from the start, so rates and alerts see zeros instead of missing series.
  for (const result of REDEMPTION_RESULTS) metrics.codeRedemptions.inc({ result }, 0);
  return metrics;
}
