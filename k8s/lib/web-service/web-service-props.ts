import type { Duration, Size } from 'cdk8s';
import type { Environment } from '../../../platform/environments.js';
import type { ServerContract } from '../../../platform/server-contract.js';

/** What the HPA may scale between; min ≥ 1 and max ≥ min. */
export interface ReplicaRange {
  readonly min: number;
  readonly max: number;
}

/** The most pods the HPA may remove within one period (and the load must have been lower for that long). */
export interface ScaleDownLimit {
  readonly pods: number;
  readonly period: Duration;
}

/** Requests and limits of the server container; limits at least the requests. */
export interface ComputeResources {
  readonly cpuRequestMillis: number;
  readonly cpuLimitMillis: number;
  readonly memoryRequestMebibytes: number;
  readonly memoryLimitMebibytes: number;
}

/**
 * How a new release reaches the users: canary steps through the ALB's weighted target groups, each weight held until
 * the AnalysisTemplate has judged the canary's own metrics. After the last step the canary takes all traffic.
 */
export interface CanaryProps {
  /** Share of new requests and WebSocket connections (percent) the canary gets at each step, increasing, below 100. */
  readonly weights: readonly number[];
  /** Name of the AnalysisTemplate run after each weight. */
  readonly analysisTemplate: string;
  /** Seconds the old ReplicaSet stays up after the stable Service switched to the new one. @default 30 */
  readonly scaleDownDelaySeconds?: number;
}

export interface WebServiceProps {
  /** The environment: its name goes into the recommended labels the pods are selected by. */
  readonly env: Environment;
  /** Full image reference, repository:tag. */
  readonly image: string;
  /** Image tag: the app.kubernetes.io/version label of the pods. */
  readonly version: string;
  /** Name of the Rollout, the root Service, ServiceAccount, PDB and HPA; `-stable`/`-canary` name the two others. */
  readonly name: string;
  /** Ports, probe paths, shutdown timings and the command, shared with the server. */
  readonly contract: ServerContract;
  /** Plain (non-secret) environment variables of the server. */
  readonly environment: Readonly<Record<string, string>>;
  /** Environment variables read from a Secret: variable name → key in `secretName`. */
  readonly secretEnvironment: Readonly<Record<string, string>>;
  /** The Secret (written by the app's ExternalSecret) that `secretEnvironment` reads. */
  readonly secretName: string;
  /** The HPA owns the replica count within this range; the Rollout has no `replicas`. */
  readonly replicas: ReplicaRange;
  /** Canary steps and the analysis that judges each. */
  readonly canary: CanaryProps;
  /** The Ingress whose ALB action Argo Rollouts rewrites with the canary and stable weights. */
  readonly ingressName: string;

  /** Average CPU utilisation (of requests) the HPA aims for. @default 70 */
  readonly targetCpuUtilization?: number;
  /** @default 2 pods per 5 minutes */
  readonly scaleDown?: ScaleDownLimit;
  /** @default 250m/1000m CPU, 256/512 MiB */
  readonly resources?: ComputeResources;
  /** Seconds between SIGTERM's end of the drain and SIGKILL, on top of preStop + SHUTDOWN_FORCE_MS. @default 5 */
  readonly terminationMarginSeconds?: number;
  /** Size limit of the writable /tmp. @default 64Mi */
  readonly tmpSizeLimit?: Size;
}
