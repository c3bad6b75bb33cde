import { Rollout } from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout';
import { ApiObject, Chart, Duration, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { canaryAnalysisArgs } from '../canary-analysis/index.js';
import { albActionAnnotation, deregistrationDelaySeconds } from '../alb-ingress/index.js';
import { components, labelKeys, selectorLabels } from '../labels.js';
import { syncWave, syncWaves } from '../sync-waves.js';
import { typedApiObject } from '../typed-object.js';
import { validate } from '../validation.js';
import { portNames, serverPodTemplate } from './server-pod-template.js';
import type { ComputeResources, ScaleDownLimit, WebServiceProps } from './web-service-props.js';

export { containerName, portNames } from './server-pod-template.js';

/**
 * Scale-in is slow on purpose: every pod removed closes its WebSockets (1001) and its clients reconnect and log in
 * again elsewhere. At most this many pods per period, after five minutes of lower load.
 */
export const defaultScaleDown: ScaleDownLimit = { pods: 2, period: Duration.minutes(5) };

const defaultResources: ComputeResources = {
  cpuRequestMillis: 250,
  cpuLimitMillis: 1000,
  memoryRequestMebibytes: 256,
  memoryLimitMebibytes: 512,
};

/**
 * Stakater Reloader (installed by cluster/ with Argo Rollouts support) restarts the Rollout's pods when this Secret
 * changes, e.g. after Secrets Manager rotated the database password and ESO refreshed the Secret. With the `restart`
 * strategy it sets the Rollout's `spec.restartAt`: Argo Rollouts replaces the pods a few at a time, with no canary and
 * no analysis (the image and the manifests did not change), and Argo CD sees no pod-template drift to undo.
 */
export const reloaderSecretAnnotation = 'secret.reloader.stakater.com/reload';
const reloaderStrategyAnnotation = { 'reloader.stakater.com/rollout-strategy': 'restart' } as const;

/** Refuses props that would render a workload Kubernetes or Argo Rollouts refuses, or that could not serve. */
function validateProps(id: string, props: WebServiceProps): void {
  const { replicas, scaleDown, resources, canary } = props;
  // Below the ALB's deregistration delay, old pods would go while the ALB still drains them.
  const drainSeconds = deregistrationDelaySeconds(props.contract);
  const check = validate(`WebService "${id}"`)
    .dnsLabel('name', props.name)
    .check(
      /^[^\s:]+(:[\w][\w.-]{0,127}|@sha256:[0-9a-f]{64})$/.test(props.image),
      'image',
      `must be repository:tag or repository@sha256:digest (got "${props.image}")`,
    )
    .check(!props.image.endsWith(':latest'), 'image', 'must not be the moving tag :latest')
    .integer('replicas.min', replicas.min, 1)
    .integer('replicas.max', replicas.max, 1)
    .check(replicas.max >= replicas.min, 'replicas', `min (${replicas.min}) must not exceed max (${replicas.max})`)
    .integer('targetCpuUtilization', props.targetCpuUtilization, 1, 100)
    .integer('scaleDown.pods', scaleDown?.pods, 1)
    .check(
      scaleDown === undefined || scaleDown.period.toSeconds() >= 1,
      'scaleDown.period',
      'must be at least 1 second',
    )
    .integer('terminationMarginSeconds', props.terminationMarginSeconds, 0, 600)
    .dnsLabel('secretName', props.secretName)
    .dnsLabel('ingressName', props.ingressName)
    .variableNames('environment', Object.keys(props.environment))
    .variableNames('secretEnvironment', Object.keys(props.secretEnvironment))
    .check(canary.weights.length > 0, 'canary.weights', 'must hold at least one step')
    .check(
      canary.weights.every((weight, index) => index === 0 || weight > (canary.weights[index - 1] ?? 0)),
      'canary.weights',
      `must increase step by step (got ${canary.weights.join(', ')})`,
    )
    .dnsLabel('canary.analysisTemplate', canary.analysisTemplate)
    .integer('canary.scaleDownDelaySeconds', canary.scaleDownDelaySeconds, drainSeconds, 3600);
  for (const weight of canary.weights) check.integer('canary.weights', weight, 1, 99);
  for (const variable of Object.keys(props.secretEnvironment)) {
    check.check(!(variable in props.environment), 'secretEnvironment', `repeats ${variable}, already a plain variable`);
  }
  if (resources) {
    check
      .integer('resources.cpuRequestMillis', resources.cpuRequestMillis, 1)
      .integer('resources.memoryRequestMebibytes', resources.memoryRequestMebibytes, 1)
      .check(
        resources.cpuLimitMillis >= resources.cpuRequestMillis,
        'resources.cpuLimitMillis',
        'must not be below resources.cpuRequestMillis',
      )
      .check(
        resources.memoryLimitMebibytes >= resources.memoryRequestMebibytes,
        'resources.memoryLimitMebibytes',
        'must not be below resources.memoryRequestMebibytes',
      );
  }
  check.done();
}

/**
 * The server as an Argo Rollouts canary behind the ALB: ServiceAccount; a root Service the Ingress names (its ALB
 * action is the weighted forward to the stable and canary Services, which Argo Rollouts pins to a ReplicaSet each);
 * the Rollout (no replica count, the HPA owns it); PodDisruptionBudget and a CPU HPA that target all server pods.
 */
export class WebService extends Construct {
  readonly rollout: ApiObject;
  /** Selects every server pod, stable and canary: the metrics scrape and the Ingress rule's name. */
  readonly service: kplus.Service;
  readonly stableService: kplus.Service;
  readonly canaryService: kplus.Service;
  /** The server pods, for NetworkPolicies. */
  readonly pods: kplus.IPodSelector;
  /** Labels the Services, PDB and NetworkPolicy select the server pods by. */
  readonly selectorLabels: Record<string, string>;

  constructor(scope: Construct, id: string, props: WebServiceProps) {
    validateProps(id, props);
    super(scope, id);
    const { contract, name, canary } = props;
    const scaleDown = props.scaleDown ?? defaultScaleDown;
    this.selectorLabels = selectorLabels(props.env, components.server);
    const componentLabel = { [labelKeys.component]: components.server };
    const metadata = (objectName: string, wave: number, annotations: Record<string, string> = {}) => ({
      name: objectName,
      labels: componentLabel,
      annotations: { ...syncWave(wave), ...annotations },
    });

    const serviceAccount = new kplus.ServiceAccount(this, 'service-account', {
      metadata: metadata(name, syncWaves.foundation),
      // The server never talks to the Kubernetes API.
      automountToken: false,
    });

    const httpPort = { name: portNames.http, port: contract.httpPort, targetPort: contract.httpPort };
    this.service = this.clusterIpService('service', metadata(name, syncWaves.traffic), [
      httpPort,
      { name: portNames.metrics, port: contract.metricsPort, targetPort: contract.metricsPort },
    ]);
    // HTTP only: the ALB's target groups. No metrics port, so the ServiceMonitor scrapes each pod once (root).
    this.stableService = this.clusterIpService('stable', metadata(`${name}-stable`, syncWaves.traffic), [httpPort]);
    this.canaryService = this.clusterIpService('canary', metadata(`${name}-canary`, syncWaves.traffic), [httpPort]);

    const template = serverPodTemplate({
      props,
      resources: props.resources ?? defaultResources,
      labels: { ...Chart.of(this).labels, ...this.selectorLabels, [labelKeys.version]: props.version },
      selectorLabels: this.selectorLabels,
      serviceAccountName: serviceAccount.name,
    });

    this.rollout = typedApiObject(
      this,
      'rollout',
      new Rollout({
        metadata: {
          ...metadata(name, syncWaves.workload, {
            [reloaderSecretAnnotation]: props.secretName,
            ...reloaderStrategyAnnotation,
          }),
          labels: { ...componentLabel, [labelKeys.version]: props.version },
        },
        spec: {
          selector: { matchLabels: { ...this.selectorLabels } },
          template,
          revisionHistoryLimit: 5,
          // A release whose pods never turn ready (image missing, crash loop) is aborted and traffic stays stable.
          progressDeadlineSeconds: 600,
          progressDeadlineAbort: true,
          strategy: {
            canary: {
              stableService: this.stableService.name,
              canaryService: this.canaryService.name,
              trafficRouting: {
                alb: { ingress: props.ingressName, rootService: name, servicePort: contract.httpPort },
              },
              // Stable keeps its full size until the canary has passed every step: an abort loses no capacity.
              dynamicStableScale: false,
              maxSurge: '25%',
              maxUnavailable: 0,
              // Old and aborted pods stay until the ALB has drained them (argo-rollouts #3761): their WebSockets
              // then close with 1001 in the shutdown sequence, not cut mid-deregistration.
              scaleDownDelaySeconds: canary.scaleDownDelaySeconds ?? deregistrationDelaySeconds(contract),
              abortScaleDownDelaySeconds: deregistrationDelaySeconds(contract),
              steps: canary.weights.flatMap((weight) => [
                { setWeight: weight },
                { analysis: { templates: [{ templateName: canary.analysisTemplate }], args: canaryAnalysisArgs } },
              ]),
            },
          },
        },
      }),
    );
    this.pods = kplus.Pods.select(this, 'pods', { labels: this.selectorLabels });

    new kplus.k8s.KubePodDisruptionBudget(this, 'pdb', {
      metadata: metadata(name, syncWaves.workload),
      spec: {
        // Stable and canary pods alike: one voluntary eviction at a time across both ReplicaSets.
        maxUnavailable: kplus.k8s.IntOrString.fromNumber(1),
        selector: { matchLabels: this.selectorLabels },
        // A pod that is not ready serves nothing; letting it be evicted cannot hurt availability and unblocks drains.
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      },
    });

    new kplus.k8s.KubeHorizontalPodAutoscalerV2(this, 'hpa', {
      metadata: metadata(name, syncWaves.workload),
      spec: {
        scaleTargetRef: { apiVersion: Rollout.apiVersion, kind: Rollout.kind, name },
        minReplicas: props.replicas.min,
        maxReplicas: props.replicas.max,
        metrics: [
          {
            type: 'Resource',
            resource: {
              name: 'cpu',
              target: { type: 'Utilization', averageUtilization: props.targetCpuUtilization ?? 70 },
            },
          },
        ],
        behavior: {
          // The HPA default would remove down to minReplicas pods at once.
          scaleDown: {
            stabilizationWindowSeconds: scaleDown.period.toSeconds(),
            selectPolicy: 'Max',
            policies: [{ type: 'Pods', value: scaleDown.pods, periodSeconds: scaleDown.period.toSeconds() }],
          },
          scaleUp: {
            stabilizationWindowSeconds: 0,
            selectPolicy: 'Max',
            policies: [
              { type: 'Pods', value: 4, periodSeconds: 60 },
              { type: 'Percent', value: 200, periodSeconds: 60 },
            ],
          },
        },
      },
    });
  }

  private clusterIpService(
    id: string,
    metadata: { name: string; labels: Record<string, string>; annotations: Record<string, string> },
    ports: kplus.ServicePort[],
  ): kplus.Service {
    const service = new kplus.Service(this, id, { metadata, type: kplus.ServiceType.CLUSTER_IP, ports });
    for (const [key, value] of Object.entries(this.selectorLabels)) service.selectLabel(key, value);
    // cdk8s-plus renders an empty list the API server drops, which would show as a permanent diff in Argo CD.
    ApiObject.of(service).addJsonPatch(JsonPatch.remove('/spec/externalIPs'));
    return service;
  }
}

/**
 * Fields Argo Rollouts writes at run time, which Argo CD must neither report as drift nor reset to git during a
 * canary (with RespectIgnoreDifferences): the replica count the HPA sets on the Rollout, the pod-template-hash
 * selectors of the stable and canary Services, and the weighted ALB action on the Ingress.
 */
export function rolloutOwnedFields(name: string) {
  const annotation = (key: string) => `/metadata/annotations/${key.replaceAll('/', '~1')}`;
  return [
    { group: 'argoproj.io', kind: 'Rollout', name, jsonPointers: ['/spec/replicas'] },
    { group: '', kind: 'Service', name: `${name}-stable`, jsonPointers: ['/spec/selector'] },
    { group: '', kind: 'Service', name: `${name}-canary`, jsonPointers: ['/spec/selector'] },
    {
      group: 'networking.k8s.io',
      kind: 'Ingress',
      name,
      jsonPointers: [annotation(albActionAnnotation(name)), annotation('rollouts.argoproj.io/managed-alb-actions')],
    },
  ];
}
