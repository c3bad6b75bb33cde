import type { Duration, Size } from 'cdk8s';
import type { Cpu } from 'cdk8s-plus-34';
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

export interface ComputeResources {
  readonly cpuRequest: Cpu;
  readonly cpuLimit: Cpu;
  readonly memoryRequest: Size;
  readonly memoryLimit: Size;
}

export interface WebServiceProps {
  /** The environment: its name goes into the recommended labels the pods are selected by. */
  readonly env: Environment;
  /** Full image reference, repository:tag. */
  readonly image: string;
  /** Image tag: the app.kubernetes.io/version label of the pods. */
  readonly version: string;
  /** Name of the Deployment, Service, ServiceAccount, PDB and HPA. */
  readonly name: string;
  /** Ports, probe paths, shutdown timings and the command, shared with the server. */
  readonly contract: ServerContract;
  /** Plain (non-secret) environment variables of the server. */
  readonly environment: Readonly<Record<string, string>>;
  /** Environment variables read from a Secret: variable name → key in `secretName`. */
  readonly secretEnvironment: Readonly<Record<string, string>>;
  /** The Secret (written by the app's ExternalSecret) that `secretEnvironment` reads. */
  readonly secretName: string;
  /** The HPA owns the replica count within this range; the Deployment has no `replicas`. */
  readonly replicas: ReplicaRange;
  /** Average CPU utilisation (of requests) the HPA aims for. @default 70 */
  readonly targetCpuUtilization?: number;
  /** @default 2 pods per 5 minutes */
  readonly scaleDown?: ScaleDownLimit;
  /** @default 250m/1 CPU, 256Mi/512Mi */
  readonly resources?: ComputeResources;
  /** Seconds between SIGTERM's end of the drain and SIGKILL, on top of preStop + SHUTDOWN_FORCE_MS. @default 5 */
  readonly terminationMarginSeconds?: number;
  /** Size limit of the writable /tmp. @default 64Mi */
  readonly tmpSizeLimit?: Size;
}
