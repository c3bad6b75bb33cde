import { ApiObject, Chart, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { components, labelKeys, selectorLabels } from '../labels.js';
import type { Labels } from '../labels.js';
import {
  environmentVariables,
  podTemplatePatches,
  restrictedContainerSecurity,
  restrictedPodSecurity,
} from '../pod-security.js';
import { syncWave, syncWaves } from '../sync-waves.js';
import { validate } from '../validation.js';
import type { ComputeResources, ScaleDownLimit, WebServiceProps } from './web-service-props.js';

export const containerName = 'server';

/**
 * Scale-in is slow on purpose: every pod removed closes its WebSockets (1001) and its clients reconnect and log in
 * again elsewhere. At most this many pods per period, after five minutes of lower load.
 */
export const defaultScaleDown: ScaleDownLimit = { pods: 2, period: Duration.minutes(5) };

export const portNames = { http: 'http', metrics: 'metrics' } as const;

const defaultResources: ComputeResources = {
  cpuRequest: kplus.Cpu.millis(250),
  cpuLimit: kplus.Cpu.units(1),
  memoryRequest: Size.mebibytes(256),
  memoryLimit: Size.mebibytes(512),
};

/**
 * Grace period the kubelet gives a terminating pod: the preStop sleep, then the server's own shutdown (which forces
 * everything closed at SHUTDOWN_FORCE_MS), then a margin, so SIGKILL never cuts a drain short.
 */
export function terminationGracePeriodSeconds(props: Pick<WebServiceProps, 'contract' | 'terminationMarginSeconds'>) {
  const { preStopSleepSeconds, shutdownForceMs } = props.contract;
  return preStopSleepSeconds + Math.ceil(shutdownForceMs / 1000) + (props.terminationMarginSeconds ?? 5);
}

function cpuMillis(cpu: kplus.Cpu): number {
  return cpu.amount.endsWith('m') ? Number(cpu.amount.slice(0, -1)) : Number(cpu.amount) * 1000;
}

/** Refuses props that would render a workload Kubernetes refuses or that could not serve. */
function validateProps(id: string, props: WebServiceProps): void {
  const { replicas, scaleDown, resources } = props;
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
    .variableNames('environment', Object.keys(props.environment))
    .variableNames('secretEnvironment', Object.keys(props.secretEnvironment));
  for (const variable of Object.keys(props.secretEnvironment)) {
    check.check(!(variable in props.environment), 'secretEnvironment', `repeats ${variable}, already a plain variable`);
  }
  if (resources) {
    check
      .check(cpuMillis(resources.cpuRequest) > 0, 'resources.cpuRequest', 'must be above zero')
      .check(resources.memoryRequest.toMebibytes() > 0, 'resources.memoryRequest', 'must be above zero')
      .check(
        cpuMillis(resources.cpuLimit) >= cpuMillis(resources.cpuRequest),
        'resources.cpuLimit',
        'must not be below resources.cpuRequest',
      )
      .check(
        resources.memoryLimit.toMebibytes() >= resources.memoryRequest.toMebibytes(),
        'resources.memoryLimit',
        'must not be below resources.memoryRequest',
      );
  }
  check.done();
}

/**
 * The server: ServiceAccount, Deployment (restricted pod, probes from the server contract, preStop sleep, zone
 * spread, no replica count), ClusterIP Service with the HTTP and metrics ports, PodDisruptionBudget and CPU HPA.
 */
export class WebService extends Construct {
  readonly deployment: kplus.Deployment;
  readonly service: kplus.Service;
  /** The server pods, for NetworkPolicies. */
  readonly pods: kplus.IPodSelector;
  /** Labels the Service, PDB, HPA target and NetworkPolicy select the server pods by. */
  readonly selectorLabels: Labels;

  constructor(scope: Construct, id: string, props: WebServiceProps) {
    validateProps(id, props);
    super(scope, id);
    const { contract, name } = props;
    const resources = props.resources ?? defaultResources;
    const scaleDown = props.scaleDown ?? defaultScaleDown;
    this.selectorLabels = selectorLabels(props.env, components.server);
    const componentLabel = { [labelKeys.component]: components.server };

    const serviceAccount = new kplus.ServiceAccount(this, 'service-account', {
      metadata: { name, labels: componentLabel, annotations: syncWave(syncWaves.foundation) },
      // The server never talks to the Kubernetes API.
      automountToken: false,
    });

    const tmp = kplus.Volume.fromEmptyDir(this, 'tmp', 'tmp', { sizeLimit: props.tmpSizeLimit ?? Size.mebibytes(64) });
    const secret = kplus.Secret.fromSecretName(this, 'secret', props.secretName);

    const envVariables = environmentVariables(props.environment, secret, props.secretEnvironment);

    this.deployment = new kplus.Deployment(this, 'deployment', {
      metadata: { name, labels: componentLabel, annotations: syncWave(syncWaves.workload) },
      // Stable, readable selectors instead of cdk8s-plus's generated `cdk8s.io/metadata.addr`.
      select: false,
      podMetadata: {
        labels: { ...Chart.of(this).labels, ...this.selectorLabels, [labelKeys.version]: props.version },
      },
      serviceAccount,
      automountServiceAccountToken: false,
      securityContext: restrictedPodSecurity(contract),
      terminationGracePeriod: Duration.seconds(terminationGracePeriodSeconds(props)),
      // A new pod must pass its ALB readiness gate before an old one goes: capacity never drops during a rollout.
      strategy: kplus.DeploymentStrategy.rollingUpdate({
        maxSurge: kplus.PercentOrAbsolute.absolute(1),
        maxUnavailable: kplus.PercentOrAbsolute.absolute(0),
      }),
      revisionHistoryLimit: 5,
      volumes: [tmp],
      containers: [
        {
          name: containerName,
          image: props.image,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          command: [...contract.image.serverCommand],
          workingDir: contract.image.workdir,
          ports: [
            { name: portNames.http, number: contract.httpPort },
            { name: portNames.metrics, number: contract.metricsPort },
          ],
          envVariables,
          resources: {
            cpu: { request: resources.cpuRequest, limit: resources.cpuLimit },
            memory: { request: resources.memoryRequest, limit: resources.memoryLimit },
          },
          securityContext: restrictedContainerSecurity(contract),
          // Up to a minute to boot; liveness and readiness only start counting once it answers.
          startup: kplus.Probe.fromHttpGet(contract.paths.liveness, {
            port: contract.httpPort,
            periodSeconds: Duration.seconds(2),
            timeoutSeconds: Duration.seconds(2),
            failureThreshold: 30,
          }),
          readiness: kplus.Probe.fromHttpGet(contract.paths.readiness, {
            port: contract.httpPort,
            periodSeconds: Duration.seconds(5),
            timeoutSeconds: Duration.seconds(2),
            failureThreshold: 2,
          }),
          liveness: kplus.Probe.fromHttpGet(contract.paths.liveness, {
            port: contract.httpPort,
            periodSeconds: Duration.seconds(10),
            timeoutSeconds: Duration.seconds(2),
            failureThreshold: 3,
          }),
          volumeMounts: [{ path: '/tmp', volume: tmp }],
        },
      ],
    });
    this.deployment.select(kplus.LabelSelector.of({ labels: this.selectorLabels }));
    this.pods = kplus.Pods.select(this, 'pods', { labels: this.selectorLabels });

    // Fields cdk8s-plus has no API for (checked in cdk8s-plus-34): patched onto the rendered Deployment.
    const deploymentObject = ApiObject.of(this.deployment);
    deploymentObject.addJsonPatch(
      ...podTemplatePatches,
      // The kubelet waits before sending SIGTERM so the ALB and kube-proxy stop routing to the pod first.
      JsonPatch.add('/spec/template/spec/containers/0/lifecycle', {
        preStop: { sleep: { seconds: contract.preStopSleepSeconds } },
      }),
      JsonPatch.add('/spec/template/spec/topologySpreadConstraints', [
        this.spreadConstraint('topology.kubernetes.io/zone', 'DoNotSchedule'),
        this.spreadConstraint('kubernetes.io/hostname', 'ScheduleAnyway'),
      ]),
    );

    this.service = new kplus.Service(this, 'service', {
      metadata: { name, labels: componentLabel, annotations: syncWave(syncWaves.traffic) },
      type: kplus.ServiceType.CLUSTER_IP,
      ports: [
        { name: portNames.http, port: contract.httpPort, targetPort: contract.httpPort },
        { name: portNames.metrics, port: contract.metricsPort, targetPort: contract.metricsPort },
      ],
    });
    for (const [key, value] of Object.entries(this.selectorLabels)) this.service.selectLabel(key, value);
    // cdk8s-plus renders an empty list the API server drops, which would show as a permanent diff in Argo CD.
    ApiObject.of(this.service).addJsonPatch(JsonPatch.remove('/spec/externalIPs'));

    new kplus.k8s.KubePodDisruptionBudget(this, 'pdb', {
      metadata: { name, labels: componentLabel, annotations: syncWave(syncWaves.workload) },
      spec: {
        maxUnavailable: kplus.k8s.IntOrString.fromNumber(1),
        selector: { matchLabels: this.selectorLabels },
        // A pod that is not ready serves nothing; letting it be evicted cannot hurt availability and unblocks drains.
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      },
    });

    new kplus.HorizontalPodAutoscaler(this, 'hpa', {
      metadata: { name, labels: componentLabel, annotations: syncWave(syncWaves.workload) },
      target: this.deployment,
      minReplicas: props.replicas.min,
      maxReplicas: props.replicas.max,
      metrics: [kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(props.targetCpuUtilization ?? 70))],
      // cdk8s-plus's default would remove down to minReplicas pods at once.
      scaleDown: {
        stabilizationWindow: scaleDown.period,
        policies: [{ replicas: kplus.Replicas.absolute(scaleDown.pods), duration: scaleDown.period }],
      },
    });
  }

  private spreadConstraint(topologyKey: string, whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway') {
    return {
      maxSkew: 1,
      topologyKey,
      whenUnsatisfiable,
      labelSelector: { matchLabels: this.selectorLabels },
      // Spread each ReplicaSet on its own, so a rollout does not count the pods it is about to replace.
      matchLabelKeys: ['pod-template-hash'],
    };
  }
}
