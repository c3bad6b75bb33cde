import { Chart } from 'cdk8s';
import type { ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { argocd, gitRepository, kubernetesVersion } from '../../platform/environments.js';
import { service } from '../../platform/service.js';
import type { Environment } from '../../platform/environments.js';
import { EnvironmentApplication } from '../lib/argocd-application/index.js';
import { components, instanceName, labelKeys } from '../lib/labels.js';
import { namespaceLabels } from '../lib/namespace-labels/index.js';

export interface ArgoCdChartProps extends ChartProps {
  readonly environments: readonly Environment[];
}

/**
 * argocd/: one Application per environment, applied by the cluster's root app. Only Applications: the service's
 * AppProject is created by cluster/ (the Argo CD add-on), so nothing in this folder can widen what they may deploy.
 */
export class ArgoCdChart extends Chart {
  constructor(scope: Construct, id: string, props: ArgoCdChartProps) {
    super(scope, id, props);
    const labels = {
      [labelKeys.name]: service.name,
      [labelKeys.partOf]: service.partOf,
      [labelKeys.component]: components.delivery,
      [labelKeys.managedBy]: 'cdk8s',
    };

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
        protectFromDeletion: env.production,
      });
    }
  }
}
