import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { argocd, externalSecrets, monitoring } from '../../../platform/environments.js';
import type { HelmChartPin } from './helm-addon/index.js';

/**
 * Every Helm chart the cluster installs, pinned. Versions checked against each project's releases (Nov 2026);
 * bump them here, one reviewed change, never by floating ranges.
 */
export const chartPins = {
  externalSecrets: {
    chart: 'external-secrets',
    repository: 'https://charts.external-secrets.io',
    version: '2.14.0',
    release: 'external-secrets',
    namespace: externalSecrets.namespace,
  },
  argoCd: {
    chart: 'argo-cd',
    repository: 'https://argoproj.github.io/argo-helm',
    version: '9.5.7',
    release: 'argocd',
    namespace: argocd.namespace,
  },
  kubePrometheusStack: {
    chart: 'kube-prometheus-stack',
    repository: 'https://prometheus-community.github.io/helm-charts',
    version: '85.1.3',
    // The release name is what the chart's own selectors default to: keep it equal to the label k8s/ puts on rules.
    release: monitoring.prometheusSelectorLabels.release,
    namespace: monitoring.namespace,
  },
  // Chart 3.14.0 ships metrics-server v0.9.0, whose line supports Kubernetes 1.34 and later.
  metricsServer: {
    chart: 'metrics-server',
    repository: 'https://kubernetes-sigs.github.io/metrics-server/',
    version: '3.14.0',
    release: 'metrics-server',
    // Where upstream's components.yaml (the one the EKS guide applies) puts it; the chart binds its auth-reader role
    // in kube-system whatever the release namespace.
    namespace: 'kube-system',
  },
  // Chart 2.41.0 ships Argo Rollouts v1.9.0 (argoproj/argo-helm, charts/argo-rollouts/Chart.yaml, July 2026).
  argoRollouts: {
    chart: 'argo-rollouts',
    repository: 'https://argoproj.github.io/argo-helm',
    version: '2.41.0',
    release: 'argo-rollouts',
    namespace: 'argo-rollouts',
  },
  // Chart 1.14.1 = Karpenter v1.14.1 (aws/karpenter-provider-aws, charts/karpenter/Chart.yaml, Aug 2026); OCI only.
  karpenter: {
    chart: 'karpenter',
    repository: 'oci://public.ecr.aws/karpenter/karpenter',
    version: '1.14.1',
    release: 'karpenter',
    namespace: 'karpenter',
  },
  // Chart 0.2.0 ships AWS for Fluent Bit 3.2.1 (aws/eks-charts, stable/aws-for-fluent-bit/Chart.yaml, Aug 2026).
  awsForFluentBit: {
    chart: 'aws-for-fluent-bit',
    repository: 'https://aws.github.io/eks-charts',
    version: '0.2.0',
    release: 'aws-for-fluent-bit',
    namespace: 'logging',
  },
  // Chart 1.21.1 ships external-dns v0.21.0 (kubernetes-sigs/external-dns, charts/external-dns/Chart.yaml, Aug 2026).
  externalDns: {
    chart: 'external-dns',
    repository: 'https://kubernetes-sigs.github.io/external-dns/',
    version: '1.21.1',
    release: 'external-dns',
    namespace: 'external-dns',
  },
} as const satisfies Record<string, HelmChartPin>;

/** aws-eks-v2 ships the IAM policy of each controller version it knows; v3.2.2 = chart 3.2.2 of aws/eks-charts. */
export const albControllerVersion = eks.AlbControllerVersion.V3_2_2;
