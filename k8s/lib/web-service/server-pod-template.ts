import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import type { Labels } from '../labels.js';
import type { ComputeResources, WebServiceProps } from './web-service-props.js';

export const containerName = 'server';

export const portNames = { http: 'http', metrics: 'metrics' } as const;

/**
 * Grace period the kubelet gives a terminating pod: the preStop sleep, then the server's own shutdown (which forces
 * everything closed at SHUTDOWN_FORCE_MS), then a margin, so SIGKILL never cuts a drain short.
 */
export function terminationGracePeriodSeconds(props: Pick<WebServiceProps, 'contract' | 'terminationMarginSeconds'>) {
  const { preStopSleepSeconds, shutdownForceMs } = props.contract;
  return preStopSleepSeconds + Math.ceil(shutdownForceMs / 1000) + (props.terminationMarginSeconds ?? 5);
}

function cpu(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

function httpProbe(path: string, port: number, timing: Omit<IProbe, 'httpGet'>): IProbe {
  return { httpGet: { path, port, scheme: 'HTTP' }, ...timing };
}

export interface PodTemplateInput {
  readonly props: WebServiceProps;
  readonly resources: ComputeResources;
  /** Labels of the pods: the chart's recommended labels plus the selector labels. */
  readonly labels: Labels;
  readonly selectorLabels: Labels;
  readonly serviceAccountName: string;
}

/**
 * The server's pod, the same for stable and canary pods: restricted security context, probes from the server
 * contract, preStop sleep, a grace period above preStop + SHUTDOWN_FORCE_MS, zone spread, a writable /tmp.
 */
export function serverPodTemplate(input: PodTemplateInput): IPodTemplateSpec {
  const { props, resources } = input;
  const { contract } = props;
  const { uid, gid } = contract.image;
  const env = [
    ...Object.entries(props.environment).map(([name, value]) => ({ name, value })),
    ...Object.entries(props.secretEnvironment).map(([name, key]) => ({
      name,
      valueFrom: { secretKeyRef: { name: props.secretName, key } },
    })),
  ];
  const spread = (topologyKey: string, whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway') => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable,
    labelSelector: { matchLabels: { ...input.selectorLabels } },
    // Spread each ReplicaSet (stable, canary) on its own, so a rollout does not count the pods it is replacing.
    matchLabelKeys: ['rollouts-pod-template-hash'],
  });

  return {
    metadata: { labels: { ...input.labels } },
    spec: {
      serviceAccountName: input.serviceAccountName,
      automountServiceAccountToken: false,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: gid,
        fsGroup: gid,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      terminationGracePeriodSeconds: terminationGracePeriodSeconds(props),
      topologySpreadConstraints: [
        spread('topology.kubernetes.io/zone', 'DoNotSchedule'),
        spread('kubernetes.io/hostname', 'ScheduleAnyway'),
      ],
      volumes: [{ name: 'tmp', emptyDir: { sizeLimit: `${props.tmpSizeLimit?.toMebibytes() ?? 64}Mi` } }],
      containers: [
        {
          name: containerName,
          image: props.image,
          imagePullPolicy: 'IfNotPresent',
          command: [...contract.image.serverCommand],
          workingDir: contract.image.workdir,
          ports: [
            { name: portNames.http, containerPort: contract.httpPort },
            { name: portNames.metrics, containerPort: contract.metricsPort },
          ],
          env,
          resources: {
            requests: { cpu: cpu(resources.cpuRequestMillis), memory: `${resources.memoryRequestMebibytes}Mi` },
            limits: { cpu: cpu(resources.cpuLimitMillis), memory: `${resources.memoryLimitMebibytes}Mi` },
          },
          securityContext: {
            runAsNonRoot: true,
            runAsUser: uid,
            runAsGroup: gid,
            privileged: false,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'] },
            seccompProfile: { type: 'RuntimeDefault' },
          },
          // Up to a minute to boot; liveness and readiness only start counting once it answers.
          startupProbe: httpProbe(contract.paths.liveness, contract.httpPort, {
            periodSeconds: 2,
            timeoutSeconds: 2,
            failureThreshold: 30,
          }),
          // Fails only while starting or draining (the contract's readiness path), never because the shared
          // database is down: a DB outage must not take every pod out of the ALB at once.
          readinessProbe: httpProbe(contract.paths.readiness, contract.httpPort, {
            periodSeconds: 5,
            timeoutSeconds: 2,
            failureThreshold: 2,
          }),
          livenessProbe: httpProbe(contract.paths.liveness, contract.httpPort, {
            periodSeconds: 10,
            timeoutSeconds: 2,
            failureThreshold: 3,
          }),
          // The kubelet waits before sending SIGTERM so the ALB and kube-proxy stop routing to the pod first.
          lifecycle: { preStop: { sleep: { seconds: contract.preStopSleepSeconds } } },
          volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
        },
      ],
    },
  };
}
