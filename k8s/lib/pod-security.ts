import { JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import type { ServerContract } from '../../platform/server-contract.js';

/**
 * Pod Security `restricted` for every pod of the service (server and migration): the image's numeric non-root user,
 * no privilege escalation, every capability dropped, RuntimeDefault seccomp, a read-only root filesystem (the pods
 * mount an emptyDir on /tmp for what has to be written).
 */
export function restrictedPodSecurity(contract: ServerContract): kplus.PodSecurityContextProps {
  return {
    ensureNonRoot: true,
    user: contract.image.uid,
    group: contract.image.gid,
    fsGroup: contract.image.gid,
  };
}

export function restrictedContainerSecurity(contract: ServerContract): kplus.ContainerSecurityContextProps {
  return {
    ensureNonRoot: true,
    user: contract.image.uid,
    group: contract.image.gid,
    privileged: false,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: [kplus.Capability.ALL] },
    seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
  };
}

/**
 * Patches for a pod template that cdk8s-plus has no API for: the pod-level seccomp profile, and no generated
 * `cdk8s.io/metadata.addr` label (the recommended labels select the pods instead).
 */
export const podTemplatePatches: readonly JsonPatch[] = [
  JsonPatch.remove(`/spec/template/metadata/labels/${kplus.Pod.ADDRESS_LABEL.replaceAll('/', '~1')}`),
  JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
];

/** Plain values and Secret keys as one set of container environment variables. */
export function environmentVariables(
  plain: Readonly<Record<string, string>>,
  secret: kplus.ISecret,
  fromSecret: Readonly<Record<string, string>>,
): Record<string, kplus.EnvValue> {
  const variables: Record<string, kplus.EnvValue> = {};
  for (const [variable, value] of Object.entries(plain)) variables[variable] = kplus.EnvValue.fromValue(value);
  for (const [variable, key] of Object.entries(fromSecret)) {
    variables[variable] = kplus.EnvValue.fromSecretValue({ secret, key });
  }
  return variables;
}
