import assert from 'node:assert/strict';
import { Duration } from 'cdk8s';
import type { Chart } from 'cdk8s';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { IRollout } from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { imageRepository } from '../../../platform/environments.js';
import { readPin } from '../../../platform/pins.js';
import { serverContract } from '../../../platform/server-contract.js';
import { loadConfig, loadDatabaseConfig } from '../../../server/src/config/index.js';
import { labelKeys } from '../../lib/labels.js';
import { WebService } from '../../lib/web-service/index.js';
import type { WebServiceProps } from '../../lib/web-service/index.js';
import { assertRefused, freshChart, stagingEnv } from '../refusals.js';
import { environments, findObject, repoRoot } from '../rendered.js';

function matches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) {
  assert.ok(selector && Object.keys(selector).length > 0, 'an empty selector selects everything');
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}

/** What the kubelet would put in the container's environment, with stand-ins for the Secret's values. */
function containerEnvironment(template: IPodTemplateSpec): Record<string, string> {
  const secretStandIns: Record<string, string> = {
    DB_HOST: 'db.internal',
    DB_PORT: '3306',
    DB_USER: 'desktop',
    DB_PASSWORD: 'pw',
    JWT_SECRET: 'x'.repeat(48),
    REDIS_URL: 'rediss://desktop:secret@cache.internal:6379',
  };
  const env: Record<string, string> = {};
  for (const variable of template.spec!.containers[0]!.env ?? []) {
    if (variable.value !== undefined) env[variable.name] = variable.value;
    else {
      assert.ok(variable.valueFrom?.secretKeyRef, `${variable.name} comes from a Secret`);
      env[variable.name] = secretStandIns[variable.name] ?? 'stand-in';
    }
  }
  return env;
}

/** The server's config sources: every variable it reads is a key of a zod object in there. */
const configDir = `${repoRoot}/server/src/config`;
const configSource = readdirSync(configDir)
  .filter((file) => file.endsWith('.ts'))
  .map((file) => readFileSync(`${configDir}/${file}`, 'utf8'))
  .join('\n');

for (const env of environments) {
  const rollout = findObject(env.name, 'Rollout') as unknown as IRollout;
  const job = findObject(env.name, 'Job', 'desktop-backend-migrate') as unknown as IJob;
  const podTemplate = rollout.spec.template!;
  const podLabels = podTemplate.metadata!.labels;
  const server = podTemplate.spec!.containers[0]!;
  const gracePeriod = podTemplate.spec!.terminationGracePeriodSeconds!;

  describe(`server workload (${env.name})`, () => {
    it('has no replica count: the HPA (autoscaling/v2, CPU) owns it, at least 3 in production and 2 elsewhere', () => {
      assert.equal(rollout.spec.replicas, undefined);
      const hpa = findObject(env.name, 'HorizontalPodAutoscaler') as unknown as IHorizontalPodAutoscaler;
      assert.deepEqual(hpa.spec.scaleTargetRef, {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Rollout',
        name: rollout.metadata!.name,
      });
      assert.ok(hpa.spec.minReplicas! >= (env.production ? 3 : 2));
      assert.ok(hpa.spec.maxReplicas > hpa.spec.minReplicas!);
      assert.equal(hpa.spec.metrics![0]!.resource!.name, 'cpu');
    });

    it('is selected by the Rollout, its three Services, PodDisruptionBudget and NetworkPolicy through the pod labels', () => {
      const service = findObject(env.name, 'Service', 'desktop-backend') as unknown as IService;
      const pdb = findObject(env.name, 'PodDisruptionBudget') as unknown as IPodDisruptionBudget;
      const policy = findObject(env.name, 'NetworkPolicy', 'desktop-backend') as {
        spec?: { podSelector?: { matchLabels?: Record<string, string> } };
      };
      assert.ok(matches(rollout.spec.selector!.matchLabels, podLabels), 'Rollout');
      assert.ok(matches(service.spec!.selector, podLabels), 'Service');
      for (const role of ['stable', 'canary']) {
        const roleService = findObject(env.name, 'Service', `desktop-backend-${role}`) as unknown as IService;
        // Argo Rollouts adds rollouts-pod-template-hash to these two selectors; the rest must match every pod.
        assert.ok(matches(roleService.spec!.selector, podLabels), `${role} Service`);
        assert.deepEqual(
          roleService.spec!.ports!.map((port) => port.port),
          [serverContract.httpPort],
          `the ${role} Service carries HTTP only, so the metrics are scraped once per pod`,
        );
      }
      assert.ok(matches(pdb.spec!.selector!.matchLabels, podLabels), 'PodDisruptionBudget');
      assert.ok(matches(policy.spec?.podSelector?.matchLabels, podLabels), 'NetworkPolicy');
      assert.ok(
        !matches(service.spec!.selector, job.spec!.template.metadata!.labels),
        'the Service must not select migration pods',
      );
      assert.equal(pdb.spec!.maxUnavailable, 1);
    });

    it('selects by the recommended labels, never by the version (selectors are immutable across releases)', () => {
      for (const key of [labelKeys.name, labelKeys.instance, labelKeys.component]) {
        assert.ok(rollout.spec.selector!.matchLabels![key], key);
      }
      assert.equal(rollout.spec.selector!.matchLabels![labelKeys.version], undefined);
      assert.equal(podLabels![labelKeys.version], readPin(env.name).imageTag);
    });

    it('runs the pinned image of the environment, never a moving tag', () => {
      assert.equal(server.image, `${imageRepository(env)}:${readPin(env.name).imageTag}`);
      assert.equal(job.spec!.template.spec!.containers[0]!.image, server.image);
      assert.doesNotMatch(server.image, /:latest$/);
      assert.deepEqual(server.command, [...serverContract.image.serverCommand]);
      assert.deepEqual(job.spec!.template.spec!.containers[0]!.command, [...serverContract.image.migrateCommand]);
    });

    it('probes the paths and port of the server contract', () => {
      const httpPort = server.ports!.find((port) => port.name === 'http')!;
      const metricsPort = server.ports!.find((port) => port.name === 'metrics')!;
      assert.equal(httpPort.containerPort, serverContract.httpPort);
      assert.equal(metricsPort.containerPort, serverContract.metricsPort);
      assert.deepEqual(
        [server.startupProbe?.httpGet?.path, server.readinessProbe?.httpGet?.path, server.livenessProbe?.httpGet?.path],
        [serverContract.paths.liveness, serverContract.paths.readiness, serverContract.paths.liveness],
      );
      for (const probe of [server.startupProbe, server.readinessProbe, server.livenessProbe]) {
        assert.equal(probe?.httpGet?.port, serverContract.httpPort);
      }
    });

    it('sleeps in preStop, and the grace period outlasts preStop + SHUTDOWN_FORCE_MS', () => {
      const preStop = server.lifecycle?.preStop?.sleep?.seconds;
      assert.equal(preStop, serverContract.preStopSleepSeconds);
      assert.ok(preStop + serverContract.shutdownForceMs / 1000 < gracePeriod, `grace period ${gracePeriod}s`);
    });

    it('sets requests and limits, a writable /tmp, no service account token, and spreads over zones', () => {
      const { requests = {}, limits = {} } = server.resources ?? {};
      assert.deepEqual(Object.keys(requests).sort(), ['cpu', 'memory']);
      assert.deepEqual(Object.keys(limits).sort(), ['cpu', 'memory']);
      const tmp = server.volumeMounts?.find((mount) => mount.mountPath === '/tmp');
      assert.ok(podTemplate.spec!.volumes?.find((volume) => volume.name === tmp?.name)?.emptyDir);
      assert.equal(podTemplate.spec!.automountServiceAccountToken, false);
      const serviceAccount = findObject(env.name, 'ServiceAccount') as unknown as IServiceAccount;
      assert.equal(podTemplate.spec!.serviceAccountName, serviceAccount.metadata!.name);
      assert.equal(serviceAccount.automountServiceAccountToken, false);
      const zoneSpread = podTemplate.spec!.topologySpreadConstraints?.find(
        (constraint) => constraint.topologyKey === 'topology.kubernetes.io/zone',
      );
      assert.ok(zoneSpread && matches(zoneSpread.labelSelector?.matchLabels, podLabels));
    });

    it('runs every container (server and migration) under the restricted Pod Security profile', () => {
      for (const template of [podTemplate, job.spec!.template]) {
        const pod = template.spec!;
        assert.equal(pod.securityContext?.runAsNonRoot, true);
        assert.equal(pod.securityContext.seccompProfile?.type, 'RuntimeDefault');
        assert.equal(pod.hostNetwork ?? false, false);
        for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
          const context = container.securityContext;
          assert.ok(context, container.name);
          assert.equal(context.allowPrivilegeEscalation, false, container.name);
          assert.equal(context.privileged ?? false, false, container.name);
          assert.deepEqual(context.capabilities?.drop, ['ALL'], container.name);
          assert.equal(context.capabilities.add, undefined, container.name);
          assert.equal(context.readOnlyRootFilesystem, true, container.name);
          assert.equal(context.runAsNonRoot, true, container.name);
          assert.equal(context.runAsUser, serverContract.image.uid, container.name);
          assert.equal(context.seccompProfile?.type, 'RuntimeDefault', container.name);
        }
      }
    });

    it("gives the server an environment its own config loader accepts, with the contract's values", () => {
      const environment = containerEnvironment(podTemplate);
      for (const name of Object.keys(environment)) {
        assert.match(configSource, new RegExp(`\\b${name}:`), `the server does not read ${name}`);
      }
      const config = loadConfig(environment);
      assert.equal(config.nodeEnv, 'production');
      assert.equal(config.port, serverContract.httpPort);
      assert.equal(config.metricsPort, serverContract.metricsPort);
      assert.equal(config.desktop.heartbeatMs, serverContract.heartbeatMs);
      assert.deepEqual(config.shutdown, {
        graceMs: serverContract.shutdownGraceMs,
        forceMs: serverContract.shutdownForceMs,
      });
      assert.deepEqual(config.http.corsOrigins, [`https://${env.host}`]);
      assert.equal(config.auth.required, true);
    });

    it('gives the migration Job the DB_* variables `npm run migrate` loads, and no JWT secret', () => {
      const environment = containerEnvironment(job.spec!.template);
      assert.doesNotThrow(() => loadDatabaseConfig(environment));
      assert.equal(environment.JWT_SECRET, undefined);
    });

    it('never puts a credential in a plain value', () => {
      for (const template of [podTemplate, job.spec!.template]) {
        for (const variable of template.spec!.containers[0]!.env ?? []) {
          if (/PASSWORD|SECRET|USER|HOST/.test(variable.name)) {
            assert.equal(variable.value, undefined, variable.name);
            assert.ok(variable.valueFrom?.secretKeyRef, variable.name);
          }
        }
      }
    });
  });
}

describe('WebService props', () => {
  const valid: WebServiceProps = {
    env: stagingEnv,
    name: 'desktop-backend',
    image: 'registry.example/desktop-backend:abc123',
    version: 'abc123',
    contract: serverContract,
    environment: { NODE_ENV: 'production' },
    secretEnvironment: { DB_PASSWORD: 'DB_PASSWORD' },
    secretName: 'desktop-backend',
    replicas: { min: 2, max: 4 },
    canary: { weights: [10, 50], analysisTemplate: 'desktop-backend-canary' },
    ingressName: 'desktop-backend',
  };
  const build = (overrides: Partial<WebServiceProps>) => (chart: Chart) =>
    new WebService(chart, 'server', { ...valid, ...overrides });

  it('accepts the props the charts use', () => {
    assert.doesNotThrow(() => new WebService(freshChart(), 'server', valid));
  });

  it('refuses a replica range whose min exceeds its max, or no replica at all', () => {
    assertRefused(
      build({ replicas: { min: 5, max: 2 } }),
      'WebService',
      'replicas',
      /min \(5\) must not exceed max \(2\)/,
    );
    assertRefused(build({ replicas: { min: 0, max: 2 } }), 'WebService', 'replicas.min');
    assertRefused(build({ replicas: { min: 1.5, max: 2 } }), 'WebService', 'replicas.min');
  });

  it('refuses a CPU target outside 1–100 %', () => {
    assertRefused(build({ targetCpuUtilization: 500 }), 'WebService', 'targetCpuUtilization', /got 500/);
    assertRefused(build({ targetCpuUtilization: 0 }), 'WebService', 'targetCpuUtilization');
  });

  it('refuses a moving or malformed image, and a name Kubernetes would reject', () => {
    assertRefused(build({ image: 'registry.example/desktop-backend:latest' }), 'WebService', 'image', /:latest/);
    assertRefused(build({ image: 'desktop-backend' }), 'WebService', 'image');
    assertRefused(build({ name: 'Desktop_Backend' }), 'WebService', 'name', /DNS-1123/);
  });

  it('refuses a variable set both plainly and from the Secret, and names that are not variables', () => {
    assertRefused(build({ environment: { DB_PASSWORD: 'x' } }), 'WebService', 'secretEnvironment', /DB_PASSWORD/);
    assertRefused(build({ environment: { 'db-host': 'x' } }), 'WebService', 'environment', /db-host/);
  });

  it('refuses limits below requests, and a scale-down of no pods', () => {
    assertRefused(
      build({
        resources: {
          cpuRequestMillis: 2000,
          cpuLimitMillis: 500,
          memoryRequestMebibytes: 256,
          memoryLimitMebibytes: 512,
        },
      }),
      'WebService',
      'resources.cpuLimitMillis',
    );
    assertRefused(build({ scaleDown: { pods: 0, period: Duration.minutes(5) } }), 'WebService', 'scaleDown.pods');
  });

  it('refuses canary weights that do not climb below 100 %, and a canary without steps', () => {
    const canary = valid.canary;
    assertRefused(build({ canary: { ...canary, weights: [50, 10] } }), 'WebService', 'canary.weights', /increase/);
    assertRefused(build({ canary: { ...canary, weights: [10, 100] } }), 'WebService', 'canary.weights', /got 100/);
    assertRefused(build({ canary: { ...canary, weights: [] } }), 'WebService', 'canary.weights');
  });

  it('lists every problem at once', () => {
    assert.throws(
      () =>
        new WebService(freshChart(), 'server', { ...valid, replicas: { min: 5, max: 2 }, targetCpuUtilization: 500 }),
      /replicas min[\s\S]*targetCpuUtilization/,
    );
  });
});
