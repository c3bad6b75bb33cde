import { metricNames } from './metrics.js';

interface Panel {
  readonly title: string;
  readonly unit: string;
  readonly queries: readonly { readonly expr: string; readonly legend: string }[];
}

/** A Grafana dashboard (schema 39) for one environment: HTTP, WebSocket and event delivery panels. */
export function dashboardJson(props: { uid: string; title: string; namespace: string; job: string }): string {
  const app = `namespace="${props.namespace}", job="${props.job}"`;
  const http = metricNames.httpRequestDuration;
  const panels: Panel[] = [
    {
      title: 'Requests per second by status',
      unit: 'reqps',
      queries: [{ expr: `sum by (status) (rate(${http}_count{${app}}[5m]))`, legend: '{{status}}' }],
    },
    {
      title: '5xx ratio',
      unit: 'percentunit',
      queries: [
        {
          expr: `sum(rate(${http}_count{${app}, status=~"5.."}[5m])) / sum(rate(${http}_count{${app}}[5m]))`,
          legend: '5xx',
        },
      ],
    },
    {
      title: 'p99 latency by route',
      unit: 's',
      queries: [
        {
          expr: `histogram_quantile(0.99, sum by (le, route) (rate(${http}_bucket{${app}}[5m])))`,
          legend: '{{route}}',
        },
      ],
    },
    {
      title: 'Open WebSockets',
      unit: 'short',
      queries: [{ expr: `sum by (pod) (${metricNames.wsConnectionsOpen}{${app}})`, legend: '{{pod}}' }],
    },
    {
      title: 'WebSocket closes by code',
      unit: 'short',
      queries: [{ expr: `sum by (code) (increase(${metricNames.wsCloses}{${app}}[5m]))`, legend: '{{code}}' }],
    },
    {
      title: 'Event delivery lag p50 / p99',
      unit: 's',
      queries: [0.5, 0.99].map((quantile) => ({
        expr: `histogram_quantile(${quantile}, sum by (le) (rate(${metricNames.eventDeliveryLag}_bucket{${app}}[5m])))`,
        legend: `p${quantile * 100}`,
      })),
    },
  ];

  const dashboard = {
    uid: props.uid,
    title: props.title,
    tags: ['desktop-backend'],
    timezone: 'utc',
    schemaVersion: 39,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    templating: {
      list: [{ name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus' }],
    },
    panels: panels.map((panel, index) => ({
      id: index + 1,
      type: 'timeseries',
      title: panel.title,
      datasource: { type: 'prometheus', uid: '${datasource}' },
      gridPos: { h: 8, w: 12, x: (index % 2) * 12, y: Math.floor(index / 2) * 8 },
      fieldConfig: { defaults: { unit: panel.unit }, overrides: [] },
      targets: panel.queries.map((query, queryIndex) => ({
        refId: String.fromCharCode(65 + queryIndex),
        expr: query.expr,
        legendFormat: query.legend,
      })),
    })),
  };
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}
