import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import type { IRollout } from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout';
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { IService } from 'kubernetes-models/v1/Service';
import { serverContract } from '../../../platform/server-contract.js';
import { albActionAnnotation, albAnnotations } from '../../lib/alb-ingress/index.js';
import { AlbIngress } from '../../lib/alb-ingress/index.js';
import type { AlbIngressProps } from '../../lib/alb-ingress/index.js';
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
  const rollout = findObject(env.name, 'Rollout') as unknown as IRollout;

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

    it("forwards every path through the Rollout's root-Service action to the stable and canary Services", () => {
      const canary = rollout.spec.strategy!.canary!;
      const alb = canary.trafficRouting!.alb!;
      assert.equal(alb.ingress, ingress.metadata!.name);
      const containerPorts = rollout.spec.template!.spec!.containers[0]!.ports!.map((port) => port.containerPort);
      for (const path of ingress.spec!.rules![0]!.http!.paths) {
        // Argo Rollouts' ALB docs: the rule names the root Service with the port name `use-annotation`.
        assert.deepEqual(path.backend.service, { name: alb.rootService, port: { name: 'use-annotation' } });
      }
      const action = JSON.parse(annotations[albActionAnnotation(alb.rootService!)]!) as {
        Type: string;
        ForwardConfig: { TargetGroups: { ServiceName: string; ServicePort: string; Weight: number }[] };
      };
      assert.equal(action.Type, 'forward');
      const groups = action.ForwardConfig.TargetGroups;
      // Rendered at rest: everything to stable, until Argo Rollouts sets a canary weight.
      assert.deepEqual(
        groups.map((group) => [group.ServiceName, group.Weight]),
        [
          [canary.canaryService, 0],
          [canary.stableService, 100],
        ],
      );
      for (const group of groups) {
        assert.equal(Number(group.ServicePort), alb.servicePort);
        const service = findObject(env.name, 'Service', group.ServiceName) as unknown as IService;
        const servicePort = service.spec!.ports!.find((port) => port.port === alb.servicePort);
        assert.ok(servicePort, `${group.ServiceName} exposes ${alb.servicePort}`);
        assert.ok(containerPorts.includes(servicePort.targetPort as number));
        assert.notEqual(servicePort.targetPort, serverContract.metricsPort, 'metrics stay off the Ingress');
      }
    });

    it(`${env.production ? 'protects' : 'does not protect'} the load balancer from deletion`, () => {
      const attributes = stringMap(annotations[albAnnotations.loadBalancerAttributes]);
      assert.equal(attributes['deletion_protection.enabled'], env.production ? 'true' : undefined);
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
      const container = rollout.spec.template!.spec!.containers[0]!;
      assert.ok(timeout > 0 && timeout < interval, 'the ELB API refuses a timeout that is not below the interval');
      // The ALB must not give up on a pod the kubelet still considers alive.
      assert.ok(timeout >= container.livenessProbe!.timeoutSeconds!);
      assert.ok(healthy >= 2 && unhealthy >= 2, 'one blip neither admits nor evicts a target');
      // Each rollout step waits for the new pod's readiness gate: well inside the Deployment's progress deadline.
      assert.ok(healthy * interval * 4 <= rollout.spec.progressDeadlineSeconds!);
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
      assert.ok(delay <= rollout.spec.template!.spec!.terminationGracePeriodSeconds!, 'no target outlives its pod');
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
