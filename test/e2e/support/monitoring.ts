/**
 * Debian's Prometheus and Alertmanager on loopback, loaded with what the repository renders: the PrometheusRule groups
 * from charts-out/ (k8s/) and the Alertmanager routing from the kube-prometheus-stack values (cluster/), with its SNS
 * receivers swapped for a webhook to a local HTTP receiver. Everything else (route tree, matchers, grouping) is kept.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, relative } from 'node:path';
import { parse, stringify } from 'yaml';
import { freePort } from '../../../server/src/db/embedded-server.js';
import { repositoryRoot } from '../../../server/test/support/server.js';
import { helmValues, single, synthesizeCluster } from '../../../cluster/test/support/synth.js';
import { waitUntil } from './wait.js';

export interface RenderedRules {
  file: string;
  /** The environment the rules were rendered for (from the PrometheusRule's directory). */
  environment: string;
  namespace: string;
  /** The `job` label the rules select on (what prometheus-operator derives from the ServiceMonitor). */
  job: string;
  groups: { name: string; rules: { alert?: string; expr: string; for?: string; labels?: Record<string, string> }[] }[];
}

/** The first PrometheusRule under charts-out/ (a released environment, else a candidate render). */
export function renderedRules(): RenderedRules {
  const root = join(repositoryRoot, 'charts-out');
  const files = (readdirSync(root, { recursive: true }) as string[])
    .filter((path) => /(^|\/)PrometheusRule\.[^/]+\.yaml$/.test(path))
    .sort((a, b) => a.split('/').length - b.split('/').length);
  const file = files[0];
  if (!file) throw new Error('no PrometheusRule under charts-out/: run npm run synth');
  const rule = parse(readFileSync(join(root, file), 'utf8')) as {
    metadata: { namespace: string };
    spec: { groups: RenderedRules['groups'] };
  };
  const job = /job="([^"]+)"/.exec(JSON.stringify(rule.spec.groups).replaceAll('\\"', '"'))?.[1] ?? 'desktop-backend';
  const environment = file.split('/').at(-2)!;
  return {
    file: relative(repositoryRoot, join(root, file)),
    environment,
    namespace: rule.metadata.namespace,
    job,
    ...rule.spec,
  };
}

/** Test-only: every rule's `for:` capped at `cap`, so a 2 m hold does not make the run wait 2 m. Returns what changed. */
export function capHoldDurations(rules: RenderedRules, cap: string): string[] {
  const changed: string[] = [];
  for (const group of rules.groups) {
    for (const rule of group.rules) {
      if (rule.alert && rule.for && rule.for !== '0m' && rule.for !== '0s') {
        changed.push(`${rule.alert} for: ${rule.for} → ${cap}`);
        rule.for = cap;
      }
    }
  }
  return changed;
}

interface AlertmanagerConfig {
  route?: Record<string, unknown>;
  receivers?: Record<string, unknown>[];
  [key: string]: unknown;
}

/** kube-prometheus-stack's own default (`alertmanager.config`): everything to the "null" receiver. */
const CHART_DEFAULT: AlertmanagerConfig = {
  route: {
    group_by: ['namespace'],
    receiver: 'null',
    routes: [{ receiver: 'null', matchers: ['alertname = "Watchdog"'] }],
  },
  receivers: [{ name: 'null' }],
};

/**
 * The Alertmanager config cluster/ renders for `environment` (synthesized offline, as the cluster tests do), or the
 * chart's default when the values set none; receivers that publish anywhere are pointed at `webhookUrl` instead.
 */
export function renderedAlertmanagerConfig(
  environment: string,
  webhookUrl: string,
): { config: AlertmanagerConfig; source: string } {
  const synthesized = synthesizeCluster();
  let values: Record<string, unknown>;
  try {
    const [, chart] = single(synthesized.environment(environment), 'Custom::AWSCDK-EKS-HelmChart', {
      Chart: 'kube-prometheus-stack',
    });
    values = helmValues(chart);
  } finally {
    synthesized.dispose();
  }
  const rendered = (values.alertmanager as { config?: AlertmanagerConfig } | undefined)?.config;
  const config = structuredClone(rendered ?? CHART_DEFAULT);
  config.receivers = (config.receivers ?? []).map((receiver) => {
    const kept = Object.entries(receiver).filter(([key]) => !key.endsWith('_configs'));
    const publishes = kept.length < Object.keys(receiver).length;
    return Object.fromEntries(
      publishes ? [...kept, ['webhook_configs', [{ url: webhookUrl, send_resolved: true }]]] : kept,
    );
  });
  // Timing only (the route tree is untouched): notify within a second instead of after the usual 30 s group wait.
  const fastTiming = (route: Record<string, unknown>) => {
    if ('group_wait' in route || route === config.route) route.group_wait = '1s';
    if ('group_interval' in route || route === config.route) route.group_interval = '2s';
    for (const child of (route.routes as Record<string, unknown>[] | undefined) ?? []) fastTiming(child);
  };
  if (config.route) fastTiming(config.route);
  return {
    config,
    source: rendered
      ? `cluster/ (kube-prometheus-stack values of ${environment})`
      : 'the chart default (cluster/ sets no alertmanager.config)',
  };
}

/** The receivers amtool says an alert with these labels routes to. */
export function routedReceivers(configFile: string, labels: Record<string, string>): string[] {
  const result = spawnSync(
    'amtool',
    ['config', 'routes', 'test', `--config.file=${configFile}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)],
    { encoding: 'utf8' },
  );
  if (result.status !== 0 && !result.stdout) throw new Error(`amtool: ${result.stderr}`);
  return result.stdout
    .trim()
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
}

/** The alerts Prometheus has firing now, by name. */
export async function firingAlerts(prometheusUrl: string): Promise<string[]> {
  const answer = (await (await fetch(`${prometheusUrl}/api/v1/alerts`)).json()) as {
    data: { alerts: { state: string; labels: Record<string, string> }[] };
  };
  return answer.data.alerts.filter((alert) => alert.state === 'firing').map((alert) => alert.labels.alertname ?? '');
}

export interface Notification {
  receiver: string;
  status: string;
  alerts: { status: string; labels: Record<string, string> }[];
}

export class Daemon {
  private log = '';
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.log += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (this.log += chunk.toString('utf8')));
  }

  static async start(command: string, args: (port: number) => string[], what: string): Promise<Daemon> {
    const port = await freePort();
    const child = spawn(command, args(port), { stdio: ['ignore', 'pipe', 'pipe'] });
    const daemon = new Daemon(child, port);
    await waitUntil(
      async () => {
        if (child.exitCode !== null) throw new Error(`${what} exited: ${daemon.log}`);
        return (await fetch(`http://127.0.0.1:${port}/-/ready`)).ok;
      },
      `${what} to be ready`,
      30_000,
      200,
    ).catch((error: unknown) => {
      child.kill('SIGKILL');
      throw new Error(`${String(error)}\n${daemon.log.slice(-3000)}`);
    });
    return daemon;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  output(): string {
    return this.log;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    await exited;
  }
}

export function startPrometheus(dir: string, rules: RenderedRules, targets: string[], alertmanagerPort: number) {
  writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: rules.groups }));
  writeFileSync(
    join(dir, 'prometheus.yaml'),
    stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [join(dir, 'rules.yaml')],
      alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${alertmanagerPort}`] }] }] },
      scrape_configs: [{ job_name: rules.job, static_configs: [{ targets, labels: { namespace: rules.namespace } }] }],
    }),
  );
  return Daemon.start(
    'prometheus',
    (port) => [
      `--config.file=${join(dir, 'prometheus.yaml')}`,
      `--storage.tsdb.path=${join(dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    'prometheus',
  );
}

export function startAlertmanager(dir: string, configFile: string) {
  return Daemon.start(
    'prometheus-alertmanager',
    (port) => [
      `--config.file=${configFile}`,
      `--storage.path=${join(dir, 'alertmanager')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ],
    'alertmanager',
  );
}

/** A local HTTP receiver standing in for the SNS topic: keeps every notification Alertmanager posts. */
export async function startWebhook(): Promise<{ url: string; notifications: Notification[]; server: Server }> {
  const notifications: Notification[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      notifications.push(JSON.parse(body) as Notification);
      res.end('ok');
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${port}/alerts`, notifications, server };
}
