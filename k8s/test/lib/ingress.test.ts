import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { IService } from 'kubernetes-models/v1/Service';
import { serverContract } from '../../../platform/server-contract.js';
import { albAnnotations } from '../../lib/ingress/index.js';
import { AlbIngress } from '../../lib/ingress/index.js';
import type { AlbIngressProps } from '../../lib/ingress/index.js';
import { assertRefused, freshChart } from '../refusals.js';
import { environments, findObject } from '../rendered.js';

/** Parses the controller's stringMap format `k1=v1,k2=v2`. */
function stringMap(value: string | undefined): Record<string, string> {
  assert.ok(value, 'annotation is set');
  return Object.fromEntries(value.split(',').map((pair) => pair.split('=') as [string, string]));
}

for (const env of environments) {
  const ingress = findObject(env.name, 'Ingress') as unknown as IIngress;
  const annotations = ingress.metadata!.annotations!;
  const deployment = findObject(env.name, 'Deployment') as unknown as IDeployment;

  describe(`ALB Ingress (${env.name})`, () => {
    it('is an internet-facing ALB with IP targets, HTTPS on 443 and HTTP redirected to it', () => {
      assert.equal(ingress.spec!.ingressClassName, 'alb');
      assert.equal(annotations[albAnnotations.scheme], 'internet-facing');
      assert.equal(annotations[albAnnotations.targetType], 'ip');
      assert.deepEqual(JSON.parse(annotations[albAnnotations.listenPorts]!), [{ HTTP: 80 }, { HTTPS: 443 }]);
      assert.equal(annotations[albAnnotations.sslRedirect], '443');
      assert.match(annotations[albAnnotations.sslPolicy]!, /^ELBSecurityPolicy-TLS13-/);
      assert.ok(annotations[albAnnotations.loadBalancerName]!.length <= 32, 'ALB names are at most 32 characters');
    });

    it("serves the environment's host with a TLS host the controller finds an ACM certificate for", () => {
      assert.deepEqual(
        ingress.spec!.rules!.map((rule) => rule.host),
        [env.host],
      );
      assert.deepEqual(ingress.spec!.tls, [{ hosts: [env.host] }]);
    });

    it('sends every path to a port the Service exposes, and that port reaches the container', () => {
      const service = findObject(env.name, 'Service') as unknown as IService;
      for (const path of ingress.spec!.rules![0]!.http!.paths) {
        const backend = path.backend.service!;
        assert.equal(backend.name, service.metadata!.name);
        const servicePort = service.spec!.ports!.find((port) => port.port === backend.port!.number);
        assert.ok(servicePort, `Service port ${backend.port!.number}`);
        const containerPorts = deployment.spec!.template.spec!.containers[0]!.ports!.map((port) => port.containerPort);
        assert.ok(containerPorts.includes(servicePort.targetPort as number));
        assert.notEqual(servicePort.targetPort, serverContract.metricsPort, 'metrics stay off the Ingress');
      }
    });

    it('health-checks /health on the traffic port', () => {
      assert.equal(annotations[albAnnotations.healthcheckPath], serverContract.paths.liveness);
      assert.equal(annotations[albAnnotations.healthcheckPort], 'traffic-port');
    });

    it('health-checks at a pace the rollout and the pod probes agree with', () => {
      const seconds = (key: string) => Number(annotations[key]);
      const interval = seconds(albAnnotations.healthcheckIntervalSeconds);
      const timeout = seconds(albAnnotations.healthcheckTimeoutSeconds);
      const healthy = seconds(albAnnotations.healthyThresholdCount);
      const unhealthy = seconds(albAnnotations.unhealthyThresholdCount);
      const container = deployment.spec!.template.spec!.containers[0]!;
      assert.ok(timeout > 0 && timeout < interval, 'the ELB API refuses a timeout that is not below the interval');
      // The ALB must not give up on a pod the kubelet still considers alive.
      assert.ok(timeout >= container.livenessProbe!.timeoutSeconds!);
      assert.ok(healthy >= 2 && unhealthy >= 2, 'one blip neither admits nor evicts a target');
      // Each rollout step waits for the new pod's readiness gate: well inside the Deployment's progress deadline.
      assert.ok(healthy * interval * 4 <= deployment.spec!.progressDeadlineSeconds!);
    });

    it('keeps idle WebSockets open: ALB idle timeout above the heartbeat, Node keep-alive above the idle timeout', () => {
      const idleSeconds = Number(
        stringMap(annotations[albAnnotations.loadBalancerAttributes])['idle_timeout.timeout_seconds'],
      );
      assert.equal(idleSeconds, serverContract.loadBalancerIdleTimeoutSeconds);
      assert.ok(serverContract.heartbeatMs < idleSeconds * 1000);
      assert.ok(serverContract.keepAliveTimeoutMs > idleSeconds * 1000);
    });

    it('drains a deregistered pod for as long as its shutdown can last, within its grace period', () => {
      const delay = Number(
        stringMap(annotations[albAnnotations.targetGroupAttributes])['deregistration_delay.timeout_seconds'],
      );
      const drain = serverContract.preStopSleepSeconds + serverContract.shutdownForceMs / 1000;
      assert.ok(delay >= drain, `deregistration delay ${delay}s must cover preStop + force = ${drain}s`);
      assert.ok(delay <= deployment.spec!.template.spec!.terminationGracePeriodSeconds!, 'no target outlives its pod');
    });
  });
}

describe('AlbIngress props', () => {
  const valid = (chart: Chart): AlbIngressProps => ({
    name: 'desktop-backend',
    host: 'desktop.example.com',
    service: new kplus.Service(chart, 'service', { ports: [{ port: 4000 }] }),
    servicePort: 4000,
    contract: serverContract,
    loadBalancerName: 'desktop-backend-staging',
  });
  const build = (overrides: Partial<AlbIngressProps>) => (chart: Chart) =>
    new AlbIngress(chart, 'ingress', { ...valid(chart), ...overrides });

  it('accepts the props the charts use', () => {
    const chart = freshChart();
    assert.doesNotThrow(() => new AlbIngress(chart, 'ingress', valid(chart)));
  });

  it('refuses an ALB name AWS rejects (over 32 characters, or not letters, digits and -)', () => {
    assertRefused(
      build({ loadBalancerName: 'desktop-backend-production-eu-west-1' }),
      'AlbIngress',
      'loadBalancerName',
    );
    assertRefused(build({ loadBalancerName: 'desktop_backend' }), 'AlbIngress', 'loadBalancerName');
  });

  it('refuses a health-check timeout not below its interval, and single-check thresholds', () => {
    const healthCheck = { intervalSeconds: 10, timeoutSeconds: 10, healthyThreshold: 2, unhealthyThreshold: 2 };
    assertRefused(build({ healthCheck }), 'AlbIngress', 'healthCheck.timeoutSeconds', /below/);
    assertRefused(
      build({ healthCheck: { ...healthCheck, timeoutSeconds: 5, healthyThreshold: 1 } }),
      'AlbIngress',
      'healthCheck.healthyThreshold',
    );
  });

  it('refuses a host that is not a DNS name, and a port outside 1–65535', () => {
    assertRefused(build({ host: 'https://desktop.example.com' }), 'AlbIngress', 'host');
    assertRefused(build({ servicePort: 70000 }), 'AlbIngress', 'servicePort');
  });
});
