import { Chart } from 'cdk8s';
import type { ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { argocd, gitRepository, kubernetesVersion } from '../../platform/environments.js';
import { service } from '../../platform/service.js';
import type { Environment } from '../../platform/environments.js';
import { EnvironmentApplication, ServiceProject } from '../lib/argocd-application/index.js';
import type { ResourceKind } from '../lib/argocd-application/index.js';
import { components, instanceName, labelKeys } from '../lib/labels.js';
import { namespaceLabels } from '../lib/namespace/index.js';

export interface ArgoCdChartProps extends ChartProps {
  readonly environments: readonly Environment[];
  /** The namespaced kinds the environments' charts render. */
  readonly namespacedKinds: readonly ResourceKind[];
}

/** argocd/: the service's AppProject and one Application per environment, synced by the cluster's root app. */
export class ArgoCdChart extends Chart {
  constructor(scope: Construct, id: string, props: ArgoCdChartProps) {
    super(scope, id, props);
    const labels = {
      [labelKeys.name]: service.name,
      [labelKeys.partOf]: service.partOf,
      [labelKeys.component]: components.delivery,
      [labelKeys.managedBy]: 'cdk8s',
    };

    new ServiceProject(this, 'project', {
      name: argocd.project,
      argocdNamespace: argocd.namespace,
      description: `${service.name}: the environments rendered into ${gitRepository.chartsDir}/`,
      sourceRepo: gitRepository.url,
      destinationNamespaces: props.environments.map((env) => env.namespace),
      namespacedKinds: props.namespacedKinds,
      labels,
    });

    for (const env of props.environments) {
      const instanceLabels = { [labelKeys.name]: service.name, [labelKeys.instance]: instanceName(env) };
      new EnvironmentApplication(this, env.name, {
        name: instanceName(env),
        argocdNamespace: argocd.namespace,
        project: argocd.project,
        source: { repoURL: gitRepository.url, targetRevision: gitRepository.targetRevision },
        path: `${gitRepository.chartsDir}/${env.name}`,
        destinationNamespace: env.namespace,
        namespaceLabels: namespaceLabels({
          kubernetesVersion,
          labels: { ...instanceLabels, [labelKeys.partOf]: service.partOf },
        }),
        labels: { ...labels, ...instanceLabels },
      });
    }
  }
}
