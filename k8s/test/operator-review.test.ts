/**
 * What a platform reviewer greps the render for before trusting it: every name one object gives another resolves in
 * the same folder (a typo there is a Rollout that never progresses, an empty target group or a pod that cannot
 * start), nothing secret rides in a label or annotation (they are readable by anyone who may list objects and are
 * copied into metrics and logs), and nothing watches the workload through metrics that only know Deployments.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IRollout } from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IService } from 'kubernetes-models/v1/Service';
import { podTemplateHashLabel } from '../lib/canary-analysis/index.js';
import { argocdObjects, environmentObjects, environments, findObject, type KubeObject } from './rendered.js';

/** Values that must never appear in a label or an annotation. */
const secretLooking: readonly [string, RegExp][] = [
  ['a password or token assignment', /(password|passwd|secret|token)\s*[=:]/i],
  ['an AWS access key id', /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
  ['a JWT', /\beyJ[\w-]{8,}\.[\w-]{8,}/],
  ['a PEM block', /-----BEGIN /],
  ['a database user of the platform', /\bdesktop_(admin|app|migrator)(_clone)?\b/],
  ['an e-mail address (a user id)', /[\w.+-]+@[\w-]+\.[\w.]+/],
];

function metadataOf(
  object: KubeObject,
): { where: string; labels: Record<string, string>; annotations: Record<string, string> }[] {
  const spec = object.spec as { template?: { metadata?: KubeObject['metadata'] } } | undefined;
  const where = `${object.kind}/${object.metadata.name}`;
  return [
    { where, labels: object.metadata.labels ?? {}, annotations: object.metadata.annotations ?? {} },
    ...(spec?.template?.metadata
      ? [
          {
            where: `${where} pod template`,
            labels: spec.template.metadata.labels ?? {},
            annotations: spec.template.metadata.annotations ?? {},
          },
        ]
      : []),
  ];
}

const names = (objects: KubeObject[], kind: string) =>
  new Set(objects.filter((object) => object.kind === kind).map((object) => object.metadata.name));

for (const env of environments) {
  const objects = environmentObjects(env.name);
  const rollout = findObject(env.name, 'Rollout') as unknown as IRollout;
  const canary = rollout.spec.strategy!.canary!;
  const podSpec = rollout.spec.template!.spec!;
  const services = new Map(
    objects.filter((o) => o.kind === 'Service').map((o) => [o.metadata.name, o as unknown as IService]),
  );

  describe(`operator review of ${env.name}`, () => {
    it('keeps secrets, credentials and user ids out of every label and annotation', () => {
      for (const object of [...objects, ...argocdObjects]) {
        for (const { where, labels, annotations } of metadataOf(object)) {
          for (const [key, value] of [...Object.entries(labels), ...Object.entries(annotations)]) {
            for (const [what, pattern] of secretLooking) {
              assert.doesNotMatch(`${key}=${value}`, pattern, `${where}: ${key} holds ${what}`);
            }
          }
        }
      }
    });

    it('resolves every name the Rollout gives: its Services, Ingress, port, AnalysisTemplate and ServiceAccount', () => {
      const alb = canary.trafficRouting!.alb!;
      for (const name of [canary.stableService!, canary.canaryService!, alb.rootService!]) {
        assert.ok(services.has(name), `Service ${name}`);
      }
      assert.notEqual(canary.stableService, canary.canaryService);
      for (const name of [canary.stableService!, canary.canaryService!]) {
        assert.ok(
          services.get(name)!.spec!.ports!.some((port) => port.port === alb.servicePort),
          `${name} port`,
        );
      }
      const ingress = findObject(env.name, 'Ingress', alb.ingress) as unknown as IIngress;
      const backend = ingress.spec!.rules![0]!.http!.paths[0]!.backend.service!;
      assert.equal(backend.name, alb.rootService, 'the Ingress forwards through the root Service action');
      assert.equal(backend.port?.name, 'use-annotation');
      const templates = names(objects, 'AnalysisTemplate');
      for (const step of canary.steps ?? []) {
        for (const template of step.analysis?.templates ?? []) assert.ok(templates.has(template.templateName!));
      }
      assert.ok(names(objects, 'ServiceAccount').has(podSpec.serviceAccountName!), 'ServiceAccount');
    });

    it('lets the HPA scale the Rollout (not a Deployment) and leaves the replica count to it', () => {
      const hpa = findObject(env.name, 'HorizontalPodAutoscaler') as unknown as IHorizontalPodAutoscaler;
      const target = hpa.spec.scaleTargetRef;
      const found = objects.find((o) => o.kind === target.kind && o.metadata.name === target.name);
      assert.ok(found, `${target.kind}/${target.name} is rendered`);
      assert.equal(found.apiVersion, target.apiVersion);
      assert.equal(rollout.spec.replicas, undefined);
      assert.ok(!objects.some((o) => o.kind === 'Deployment'), 'no Deployment next to the Rollout');
    });

    it('feeds every secretKeyRef and envFrom from a Secret an ExternalSecret of this folder writes, with that key', () => {
      const written = new Map<string, Set<string>>();
      for (const object of objects.filter((o) => o.kind === 'ExternalSecret')) {
        const spec = object.spec as {
          target?: { name?: string; template?: { data?: Record<string, string>; mergePolicy?: string } };
          data?: { secretKey: string }[];
        };
        const template = spec.target?.template;
        // Keys a template builds (REDIS_URL); with mergePolicy Merge the fetched keys stay beside them.
        const fetched = !template?.data || template.mergePolicy === 'Merge' ? (spec.data ?? []) : [];
        const keys = [...fetched.map((entry) => entry.secretKey), ...Object.keys(template?.data ?? {})];
        written.set(spec.target?.name ?? object.metadata.name, new Set(keys));
      }
      const containers = objects.flatMap((o) => {
        const spec = (o.spec as { template?: { spec?: IPodSpec } } | undefined)?.template?.spec;
        return [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])] as IContainer[];
      });
      assert.ok(containers.length >= 2);
      let references = 0;
      for (const container of containers) {
        for (const variable of container.env ?? []) {
          const ref = variable.valueFrom?.secretKeyRef;
          if (!ref) continue;
          references += 1;
          assert.ok(
            written.get(ref.name!)?.has(ref.key),
            `${container.name}: ${variable.name} from ${ref.name!}/${ref.key}`,
          );
        }
        for (const source of container.envFrom ?? []) {
          if (source.secretRef)
            assert.ok(written.has(source.secretRef.name!), `${container.name}: envFrom ${source.secretRef.name!}`);
        }
      }
      assert.ok(references >= 4);
    });

    it('scrapes each server pod once, labelled with its canary hash, through a Service that has the metrics port', () => {
      const monitor = findObject(env.name, 'ServiceMonitor') as unknown as {
        spec: {
          selector: { matchLabels: Record<string, string> };
          endpoints: { port: string }[];
          podTargetLabels?: string[];
        };
      };
      const selected = [...services.values()].filter((svc) =>
        Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => svc.metadata?.labels?.[k] === v),
      );
      for (const endpoint of monitor.spec.endpoints) {
        const withPort = selected.filter((svc) => svc.spec!.ports!.some((port) => port.name === endpoint.port));
        assert.equal(
          withPort.length,
          1,
          `exactly one selected Service exposes "${endpoint.port}" (else pods are scraped twice)`,
        );
        assert.ok(podSpec.containers.some((c) => c.ports?.some((port) => port.name === endpoint.port)));
      }
      // The analysis and the alerts tell canary from stable by this label.
      assert.ok(monitor.spec.podTargetLabels?.includes(podTemplateHashLabel.pod));
    });

    it('watches the workload through metrics that exist for a Rollout (kube-state-metrics has no kube_deployment_* for it)', () => {
      const queries = objects
        .filter((o) => o.kind === 'PrometheusRule' || o.kind === 'AnalysisTemplate')
        .map((o) => JSON.stringify(o.spec));
      assert.ok(queries.length >= 2);
      for (const query of queries) assert.doesNotMatch(query, /kube_deployment_|kube_statefulset_/);
    });
  });
}
