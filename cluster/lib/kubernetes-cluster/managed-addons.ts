/**
 * EKS managed add-ons, pinned: an upgrade is a reviewed change here (after the cluster's minor version moves, look up
 * the new builds with `aws eks describe-addon-versions --kubernetes-version <minor> --addon-name <name>`). The
 * versions are those EKS offered Kubernetes 1.36 clusters in late 2026, as recorded by public 1.36 cluster
 * configurations; `describe-addon-versions` is the authority and cannot be asked offline.
 */
export interface ManagedAddonVersions {
  readonly vpcCni: string;
  readonly coreDns: string;
  readonly kubeProxy: string;
  readonly podIdentityAgent: string;
}

export const managedAddonVersions: ManagedAddonVersions = {
  vpcCni: 'v1.22.4-eksbuild.3',
  coreDns: 'v1.14.3-eksbuild.23',
  kubeProxy: 'v1.36.0-eksbuild.25',
  podIdentityAgent: 'v1.3.10-eksbuild.3',
};

/** Each pinned version must be of the cluster's minor where the add-on follows Kubernetes (kube-proxy does). */
export function checkAddonVersions(versions: ManagedAddonVersions, kubernetesVersion: string): void {
  const pattern = /^v\d+\.\d+\.\d+-eksbuild\.\d+$/;
  for (const [name, version] of Object.entries(versions) as [string, string][]) {
    if (!pattern.test(version)) throw new Error(`addonVersions.${name}: "${version}" is not an EKS add-on version`);
  }
  if (!versions.kubeProxy.startsWith(`v${kubernetesVersion}.`)) {
    throw new Error(
      `addonVersions.kubeProxy: ${versions.kubeProxy} is not a build for Kubernetes ${kubernetesVersion}; ` +
        `find one with aws eks describe-addon-versions --kubernetes-version ${kubernetesVersion} --addon-name kube-proxy`,
    );
  }
}
