import { argocd, externalSecrets, monitoring } from '../../../platform/environments.js';
import type { HelmChartPin } from './helm-addon/index.js';

/**
 * Every Helm chart the cluster installs, pinned. Each `source` names where the version was checked (the chart's tag
 * or commit, with its release date); bump them here, one reviewed change, never by floating ranges. Checked against
 * the projects' repositories as stored in late 2026: a newer release seen only second-hand (the load balancer
 * controller's 3.6.x) waits until its chart and IAM policy can be read at their tag.
 */
export const chartPins = {
  externalSecrets: {
    chart: 'external-secrets',
    repository: 'https://charts.external-secrets.io',
    version: '2.14.0',
    release: 'external-secrets',
    namespace: externalSecrets.namespace,
    source: 'https://github.com/external-secrets/external-secrets/releases/tag/helm-chart-2.14.0',
  },
  argoCd: {
    chart: 'argo-cd',
    repository: 'https://argoproj.github.io/argo-helm',
    // Argo CD v3.4.4.
    version: '10.1.1',
    release: 'argocd',
    namespace: argocd.namespace,
    source: 'https://github.com/argoproj/argo-helm/releases/tag/argo-cd-10.1.1 (2026-07-02, af0a9310)',
  },
  kubePrometheusStack: {
    chart: 'kube-prometheus-stack',
    repository: 'https://prometheus-community.github.io/helm-charts',
    // Prometheus Operator v0.93.1.
    version: '88.5.3',
    // The release name is what the chart's own selectors default to: keep it equal to the label k8s/ puts on rules.
    release: monitoring.prometheusSelectorLabels.release,
    namespace: monitoring.namespace,
    source:
      'https://github.com/prometheus-community/helm-charts/releases/tag/kube-prometheus-stack-88.5.3 (2026-08-21)',
  },
  awsLoadBalancerController: {
    chart: 'aws-load-balancer-controller',
    repository: 'https://aws.github.io/eks-charts',
    // Controller v3.5.0; its IAM policy and CRDs are vendored from the same tag (aws-load-balancer-controller/).
    version: '3.5.0',
    release: 'aws-load-balancer-controller',
    namespace: 'kube-system',
    source:
      'https://github.com/aws/eks-charts/commit/5239609242f3430be50fb0b714a24d3ef2b47983 (2026-08-03); controller ' +
      'https://github.com/kubernetes-sigs/aws-load-balancer-controller/releases/tag/v3.5.0',
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
    source: 'https://github.com/kubernetes-sigs/metrics-server/releases/tag/metrics-server-helm-chart-3.14.0',
  },
  argoRollouts: {
    chart: 'argo-rollouts',
    repository: 'https://argoproj.github.io/argo-helm',
    version: '2.41.0',
    release: 'argo-rollouts',
    namespace: 'argo-rollouts',
    source: 'Chart 2.41.0 ships Argo Rollouts v1.9.0 (argoproj/argo-helm, charts/argo-rollouts/Chart.yaml, July 2026).',
  },
  karpenter: {
    chart: 'karpenter',
    repository: 'oci://public.ecr.aws/karpenter/karpenter',
    version: '1.14.1',
    release: 'karpenter',
    namespace: 'karpenter',
    source:
      'Chart 1.14.1 = Karpenter v1.14.1 (aws/karpenter-provider-aws, charts/karpenter/Chart.yaml, Aug 2026); OCI only.',
  },
  karpenterCrd: {
    chart: 'karpenter-crd',
    repository: 'oci://public.ecr.aws/karpenter/karpenter-crd',
    version: '1.14.1',
    release: 'karpenter-crd',
    namespace: 'kube-system',
    source:
      "Chart 1.14.1, released with Karpenter's own chart (charts/karpenter-crd): its CRDs are templates, so Helm " +
      'upgrades them with the pin (Karpenter upgrade guide).',
  },
  awsForFluentBit: {
    chart: 'aws-for-fluent-bit',
    repository: 'https://aws.github.io/eks-charts',
    version: '0.2.0',
    release: 'aws-for-fluent-bit',
    namespace: 'logging',
    source:
      'Chart 0.2.0 ships AWS for Fluent Bit 3.2.1 (aws/eks-charts, stable/aws-for-fluent-bit/Chart.yaml, Aug 2026).',
  },
  externalDns: {
    chart: 'external-dns',
    repository: 'https://kubernetes-sigs.github.io/external-dns/',
    version: '1.21.1',
    release: 'external-dns',
    namespace: 'external-dns',
    source:
      'Chart 1.21.1 ships external-dns v0.21.0 (kubernetes-sigs/external-dns, charts/external-dns/Chart.yaml, Aug 2026).',
  },
  // Reloader v1.4.21.
  reloader: {
    chart: 'reloader',
    repository: 'https://stakater.github.io/stakater-charts',
    version: '2.2.16',
    release: 'reloader',
    namespace: 'reloader',
    source:
      'https://github.com/stakater/Reloader/blob/086eb09dd14ee9514fad45525480a6750d47207d/deployments/kubernetes/' +
      'chart/reloader/Chart.yaml (2026-08-10)',
  },
} as const satisfies Record<string, HelmChartPin>;
