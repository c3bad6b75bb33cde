/**
 * The canary analysis, proven on real parts: Debian's Prometheus on loopback scrapes two real server processes, a
 * healthy build and a build made bad by a test-only preload (support/inject-faults.ts). The AnalysisTemplate's own
 * queries and conditions, read from the rendered YAML, are evaluated through Prometheus' HTTP API the way Argo
 * Rollouts' Prometheus provider does, and must judge the bad build failed and the healthy one successful.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { IAnalysisTemplate } from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/AnalysisTemplate';
import WebSocket from 'ws';
import { stringify } from 'yaml';
import { freePort } from '../../server/src/db/embedded-server.js';
import { createTestDatabase } from '../../server/test/support/database.js';
import type { TestDatabase } from '../../server/test/support/database.js';
import { createUser, login, spawnServer } from '../../server/test/support/server.js';
import type { SpawnedServer } from '../../server/test/support/server.js';
import { desktopToken } from '../../server/test/desktop/client.js';
import { canaryHashArg, clientCausedRefusalReasons, podTemplateHashLabel } from '../lib/canary-analysis/index.js';
import { evaluateCondition, measurementPhase } from './support/argo-condition.js';
import type { MeasurementPhase } from './support/argo-condition.js';
import { environments, findObject, repoRoot } from './rendered.js';

const env = environments[0]!;
const template = findObject(env.name, 'AnalysisTemplate') as unknown as IAnalysisTemplate;
const metrics = template.spec.metrics ?? [];
const faultPreload = fileURLToPath(new URL('./support/inject-faults.ts', import.meta.url));
const builds = { good: 'aaaa1111', bad: 'bbbb2222' } as const;

const workDir = mkdtempSync(join(tmpdir(), 'canary-analysis-'));
let database: TestDatabase;
const servers: SpawnedServer[] = [];
let prometheus: ChildProcess | undefined;
let prometheusUrl = '';
let apiToken = '';
let socketToken = '';
let trafficRunning = true;
let rounds = 0;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function instantQuery(query: string): Promise<number[]> {
  const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await response.json()) as {
    status: string;
    error?: string;
    data: { resultType: string; result: { value: [number, string] }[] };
  };
  assert.equal(body.status, 'success', `${query}: ${body.error ?? ''}`);
  assert.equal(body.data.resultType, 'vector', 'Argo Rollouts reads a vector result');
  return body.data.result.map((sample) => Number(sample.value[1]));
}

/** An upgrade the server refuses for the client's own fault: no token, or not a WebSocket handshake at all. */
function clientFaultUpgrade(server: SpawnedServer, kind: 'missing_token' | 'bad_handshake'): Promise<void> {
  const headers: Record<string, string> = {
    connection: 'Upgrade',
    upgrade: 'websocket',
    'sec-websocket-version': '13',
    'sec-websocket-key': kind === 'bad_handshake' ? 'not-a-key' : 'dGhlIHNhbXBsZSBub25jZQ==',
  };
  return new Promise<void>((resolve) => {
    const request = httpRequest(`${server.baseUrl}/ws/desktop`, { headers });
    request.on('response', (response) => {
      response.resume();
      response.on('end', resolve);
    });
    request.on('upgrade', (_response, socket) => {
      socket.destroy();
      resolve();
    });
    request.on('error', () => {
      resolve();
    });
    request.end();
  });
}

/**
 * One round of what clients do: API calls with a valid token, a desktop socket that connects and closes, and two
 * upgrades refused for the client's own fault (a healthy build refuses those too; they must not count against it).
 */
async function clientRound(server: SpawnedServer): Promise<void> {
  await Promise.all([
    ...Array.from({ length: 5 }, () =>
      fetch(`${server.baseUrl}/api/me`, { headers: { authorization: `Bearer ${apiToken}` } }).then((r) => r.text()),
    ),
    clientFaultUpgrade(server, 'missing_token'),
    clientFaultUpgrade(server, 'bad_handshake'),
  ]);
  await new Promise<void>((resolve) => {
    const socket = new WebSocket(`${server.wsUrl}/ws/desktop`, { headers: { authorization: `Bearer ${socketToken}` } });
    const done = () => {
      socket.terminate();
      resolve();
    };
    socket.on('open', () => {
      socket.close(1000);
    });
    socket.on('close', done);
    socket.on('error', done);
    socket.on('unexpected-response', done);
  });
}

async function driveTraffic(): Promise<void> {
  for (let round = 0; round < 400 && trafficRunning; round++) {
    await Promise.all(servers.map((server) => clientRound(server)));
    rounds++;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The template's metrics for one build, `failureLimit + 1` measurements each, judged as Argo Rollouts judges them. */
async function analyse(hash: string) {
  const verdicts: Record<
    string,
    { phases: MeasurementPhase[]; phase: 'Successful' | 'Failed' | 'Inconclusive'; values: number[][] }
  > = {};
  for (const metric of metrics) {
    const query = metric.provider.prometheus!.query!.replaceAll(`{{args.${canaryHashArg}}}`, hash);
    const phases: MeasurementPhase[] = [];
    const values: number[][] = [];
    for (let measurement = 0; measurement <= Number(metric.failureLimit ?? 0); measurement++) {
      const result = await instantQuery(query);
      values.push(result);
      phases.push(measurementPhase(metric, result));
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const failed = phases.filter((phase) => phase === 'Failed').length;
    const phase =
      failed > Number(metric.failureLimit ?? 0)
        ? 'Failed'
        : phases.every((candidate) => candidate === 'Successful')
          ? 'Successful'
          : 'Inconclusive';
    verdicts[metric.name] = { phases, phase, values };
  }
  return verdicts;
}

describe('canary analysis against a real Prometheus and real servers', { timeout: 120_000 }, () => {
  let traffic: Promise<void> = Promise.resolve();

  before(async () => {
    database = await createTestDatabase();
    await createUser(database, { username: 'canary-user', password: 'canary-password-123' });
    // spawnServer waits for the info line that says the server listens.
    const serverEnv = { ...database.env, LOG_LEVEL: 'info' };
    servers.push(await spawnServer(serverEnv));
    servers.push(await spawnServer({ ...serverEnv, NODE_OPTIONS: `--import=${faultPreload}` }));
    apiToken = await login(servers[0]!.baseUrl, 'canary-user', 'canary-password-123');
    socketToken = await desktopToken(servers[0]!.baseUrl, apiToken);

    const port = await freePort();
    prometheusUrl = `http://127.0.0.1:${port}`;
    const target = (server: SpawnedServer, hash: string) => ({
      targets: [new URL(server.metricsUrl).host],
      // What the ServiceMonitor gives every series in the cluster: namespace, job and the pod's ReplicaSet hash.
      labels: { namespace: env.namespace, job: 'desktop-backend', [podTemplateHashLabel.series]: hash },
    });
    writeFileSync(
      join(workDir, 'prometheus.yml'),
      stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        scrape_configs: [
          {
            job_name: 'desktop-backend',
            static_configs: [target(servers[0]!, builds.good), target(servers[1]!, builds.bad)],
          },
        ],
      }),
    );
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${join(workDir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(workDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    await waitFor('Prometheus to be ready', async () => (await fetch(`${prometheusUrl}/-/ready`)).ok);
    await waitFor('both servers to be scraped', async () => {
      const up = await instantQuery('up{job="desktop-backend"} == 1');
      return up.length === 2;
    });
    traffic = driveTraffic();
    // rate() over the template's window needs a few scrapes of the traffic.
    await new Promise((resolve) => setTimeout(resolve, 6000));
  });

  after(async () => {
    trafficRunning = false;
    await traffic;
    prometheus?.kill('SIGTERM');
    for (const server of servers) {
      server.kill('SIGTERM');
      const exited = await Promise.race([server.exit.then(() => true), sleep(20_000).then(() => false)]);
      if (!exited) server.kill('SIGKILL');
    }
    await database.drop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('the template has the three checks, each with both conditions, on the canary hash argument', () => {
    assert.deepEqual(
      metrics.map((metric) => metric.name),
      ['error-ratio', 'p99-latency', 'upgrade-refusal-ratio'],
    );
    for (const metric of metrics) {
      assert.ok(metric.successCondition && metric.failureCondition, metric.name);
      assert.match(metric.provider.prometheus!.query!, new RegExp(`\\{\\{args\\.${canaryHashArg}\\}\\}`));
      // No sample yet, or no traffic to divide by: wait for data, neither pass nor abort the canary on it.
      assert.equal(measurementPhase(metric, []), 'Inconclusive', `${metric.name} on an empty result`);
      assert.equal(measurementPhase(metric, [Number.NaN]), 'Inconclusive', `${metric.name} on NaN`);
    }
  });

  it('judges the healthy build successful on every check', async () => {
    assert.ok(rounds >= 10, `clients made ${rounds} rounds of calls: too few to judge anything`);
    const verdicts = await analyse(builds.good);
    for (const [name, verdict] of Object.entries(verdicts)) {
      assert.equal(verdict.phase, 'Successful', `${name}: ${JSON.stringify(verdict)}`);
    }
  });

  it('judges the bad build failed: its 5xx ratio and its refused upgrades, while its latency is fine', async () => {
    const verdicts = await analyse(builds.bad);
    const explain = (name: string) => `${name}: ${JSON.stringify(verdicts[name])}`;
    assert.equal(verdicts['error-ratio']!.phase, 'Failed', explain('error-ratio'));
    assert.equal(verdicts['upgrade-refusal-ratio']!.phase, 'Failed', explain('upgrade-refusal-ratio'));
    assert.equal(verdicts['p99-latency']!.phase, 'Successful', explain('p99-latency'));
  });

  it('the queries see only the canary: a hash with no pods reads as no errors, not as the other build', async () => {
    for (const metric of metrics) {
      const query = metric.provider.prometheus!.query!.replaceAll(`{{args.${canaryHashArg}}}`, 'cccc3333');
      assert.deepEqual(await instantQuery(query), [0], metric.name);
    }
  });

  it('each query reads real series: without its no-data fallback, it answers a value for a build with traffic', async () => {
    // Otherwise a wrong metric or label name would read as "no data", i.e. 0, and pass every canary.
    const withHash = (query: string, hash: string) => query.replaceAll(`{{args.${canaryHashArg}}}`, hash);
    for (const metric of metrics) {
      const query = metric.provider.prometheus!.query!;
      const fallback = / or vector\(0\)$/;
      assert.match(query, fallback, metric.name);
      const results = await Promise.all(
        Object.values(builds).map((hash) => instantQuery(withHash(query.replace(fallback, ''), hash))),
      );
      assert.ok(
        results.some((result) => result.length === 1 && Number.isFinite(result[0])),
        `${metric.name} reads no series of either build: ${JSON.stringify(results)}`,
      );
    }
  });
});

describe('upgrade refusal reasons', () => {
  const socketDir = `${repoRoot}/server/src/desktop`;
  const sources = readdirSync(socketDir, { recursive: true })
    .filter((file) => String(file).endsWith('.ts'))
    .map((file) => readFileSync(join(socketDir, String(file)), 'utf8'))
    .join('\n');
  /** Every refusal the server writes out: `refusal(400, 'bad_handshake', ...)` and `{ status: 401, reason: '...' }`. */
  const refusals = [
    ...sources.matchAll(/refusal\(\s*(\d{3}),\s*'([a-z_]+)'/g),
    ...sources.matchAll(/status: (\d{3}), reason: '([a-z_]+)'/g),
  ].map(([, status, reason]) => ({ status: Number(status), reason: reason! }));

  it('the client-caused reasons the analysis leaves out are reasons the server really gives', () => {
    assert.ok(refusals.length >= 10, `found only ${refusals.length} refusals in ${socketDir}`);
    const given = new Set(refusals.map((refusal) => refusal.reason));
    for (const reason of clientCausedRefusalReasons) assert.ok(given.has(reason), reason);
  });

  it("every refusal answered 400, 401, 403 or 405 (the client's doing) is left out, and nothing else is", () => {
    const clientCaused = new Set<string>(clientCausedRefusalReasons);
    for (const { status, reason } of refusals) {
      const clients = [400, 401, 403, 405].includes(status);
      const why = clients ? "the client's doing, yet it counts against the canary" : "the server's, yet left out";
      assert.equal(clientCaused.has(reason), clients, `${status} ${reason}: ${why}`);
    }
  });
});

describe('Argo Rollouts condition evaluation (test support)', () => {
  it('reads the comparisons the templates use and refuses what it does not know', () => {
    assert.equal(evaluateCondition('result[0] <= 0.02', [0.01]), true);
    assert.equal(evaluateCondition('result[0] > 0.02', [0.5]), true);
    assert.equal(evaluateCondition('isNaN(result[0]) || result[0] < 1', [Number.NaN]), true);
    assert.equal(
      measurementPhase({ successCondition: 'result[0] <= 1', failureCondition: 'result[0] > 1' }, [2]),
      'Failed',
    );
    assert.throws(() => evaluateCondition('result[0] <= 1 ; rm -rf /', [0]));
    assert.equal(evaluateCondition('len(result) > 0 && result[0] <= 1', []), false, 'short-circuits');
    assert.throws(() => evaluateCondition('result[0] <= 1', []), 'an empty vector is an error, as in Argo Rollouts');
    assert.throws(() => evaluateCondition('len(other) > 0', [0]));
  });
});
