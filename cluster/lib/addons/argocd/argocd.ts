import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import { argocd } from '../../../../platform/environments.js';
import { chartPins } from '../charts.js';
import { applicationProjectPolicy } from './application-policy.js';
import { argoCdOperationsValues } from './argocd-operations.js';
import { HelmAddon } from '../helm-addon/index.js';
import { inClusterServer, serviceProjectSpec } from '../../../../platform/service-project.js';
import type { ArgoCdProps } from './argocd-props.js';

const inCluster = inClusterServer;

/**
 * Argo CD by Helm plus the app-of-apps root. App-of-apps is an admin tool (Argo CD's docs), and the root syncs a
 * folder that every writer of main can change, so the AppProjects are created here, never from git:
 * - the root AppProject may create only Applications, only in the argocd namespace, only from this repository;
 * - the service's AppProject admits this environment's namespace and the kinds of platform/service-project.ts;
 * - the built-in `default` project admits nothing, so an Application in argocd/ that names it (or no project) cannot
 *   deploy anywhere;
 * - an admission policy (application-policy.ts) refuses any Application in the argocd namespace outside the service's
 *   project, except the root itself: every Application the root creates acts through the service's project only.
 */
export class ArgoCd extends Construct {
  readonly addon: HelmAddon;
  readonly rootApplication: eks.KubernetesManifest;
  readonly rootProjectName: string;
  readonly serviceProject: eks.KubernetesManifest;
  readonly defaultProject: eks.KubernetesManifest;

  constructor(scope: Construct, id: string, props: ArgoCdProps) {
    super(scope, id);
    const pin = props.pin ?? chartPins.argoCd;
    this.rootProjectName = `${props.rootName}-root`;

    this.addon = new HelmAddon(this, 'Addon', {
      cluster: props.cluster,
      pin,
      values: argoCdHelmValues(props),
    });

    const project = (id: string, name: string, spec: Record<string, unknown>) => {
      // overwrite: Argo CD creates `default` itself at start; apply, not create, so the stack owns its content.
      const manifest = new eks.KubernetesManifest(this, id, {
        cluster: props.cluster,
        overwrite: true,
        manifest: [
          {
            apiVersion: 'argoproj.io/v1alpha1',
            kind: 'AppProject',
            metadata: { name, namespace: pin.namespace },
            spec,
          },
        ],
      });
      manifest.node.addDependency(this.addon.chart);
      return manifest;
    };
    const rootProject = project('RootProject', this.rootProjectName, rootProjectSpec(props));
    this.serviceProject = project(
      'ServiceProject',
      argocd.project,
      serviceProjectSpec(props.environment, props.repoUrl),
    );
    this.defaultProject = project('DefaultProject', 'default', lockedProjectSpec);
    const rootApplicationName = `${props.rootName}-root`;
    const projectPolicy = new eks.KubernetesManifest(this, 'ApplicationProjectPolicy', {
      cluster: props.cluster,
      manifest: applicationProjectPolicy({
        argocdNamespace: pin.namespace,
        rootApplicationName,
        rootProjectName: this.rootProjectName,
        serviceProjectName: argocd.project,
      }),
    });
    // The Application CRD comes with the chart; the policy is in force before the root applies anything.
    projectPolicy.node.addDependency(this.addon.chart);

    this.rootApplication = this.addon.addManifest('RootApplication', {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: rootApplicationName, namespace: pin.namespace },
      spec: {
        project: this.rootProjectName,
        source: {
          repoURL: props.repoUrl,
          targetRevision: props.targetRevision,
          path: props.path,
          directory: { recurse: false, include: props.include },
        },
        destination: { server: inCluster, namespace: pin.namespace },
        syncPolicy: {
          // Prune removes a staging Application deleted from git; production's Application opts out of pruning and
          // of deletion with its own annotation (argocd.argoproj.io/sync-options: Prune=false,Delete=false).
          automated: { prune: true, selfHeal: true },
          retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } },
        },
      },
    });
    this.rootApplication.node.addDependency(rootProject, this.serviceProject, this.defaultProject, projectPolicy);
  }
}

/** The root may create Applications, in the argocd namespace, from this repository: nothing else. */
export function rootProjectSpec(props: Pick<ArgoCdProps, 'rootName' | 'path' | 'repoUrl'>): Record<string, unknown> {
  return {
    description: `Root of ${props.rootName}: applies the Argo CD Applications in ${props.path}/ (projects come from cluster/)`,
    sourceRepos: [props.repoUrl],
    destinations: [{ server: inCluster, namespace: argocd.namespace }],
    clusterResourceWhitelist: [],
    namespaceResourceWhitelist: [{ group: 'argoproj.io', kind: 'Application' }],
  };
}

/** Argo CD's built-in project, emptied: an Application that names it can deploy nothing from nowhere. */
export const lockedProjectSpec: Record<string, unknown> = {
  description: 'Locked: every Application of this cluster names its own project',
  sourceRepos: [],
  destinations: [],
  clusterResourceWhitelist: [],
  namespaceResourceBlacklist: [{ group: '*', kind: '*' }],
};

/** The chart values: settings only (no password), the SSO client and who administers Argo CD. */
export function argoCdHelmValues(
  props: Pick<ArgoCdProps, 'adminEnabled' | 'oidc' | 'operations'>,
): Record<string, unknown> {
  const operations = argoCdOperationsValues(props.operations ?? { highAvailability: false, outOfSyncMinutes: 30 });
  return {
    ...operations,
    dex: { enabled: false },
    configs: {
      cm: {
        // The URL users reach Argo CD at (the port-forward below): the SSO redirect URI is built from it. The chart
        // would otherwise derive it from global.domain, argocd.example.com.
        url: argoCdLocalUrl,
        // No password in the template: the chart leaves argocdServerAdminPassword empty, so Argo CD generates one.
        'admin.enabled': props.adminEnabled,
        'users.anonymous.enabled': false,
        'exec.enabled': false,
        ...(props.oidc
          ? {
              // JSON is YAML; the client secret is a key of argocd-secret, set out of band.
              'oidc.config': JSON.stringify({
                name: props.oidc.name,
                issuer: props.oidc.issuer,
                clientID: props.oidc.clientId,
                clientSecret: '$oidc.clientSecret',
                requestedScopes: ['openid', 'profile', 'email', 'groups'],
              }),
            }
          : {}),
      },
      rbac: {
        // Nobody gets a permission by default; the SSO admin groups get role:admin.
        'policy.default': '',
        ...(props.oidc && props.oidc.adminGroups.length > 0
          ? { 'policy.csv': props.oidc.adminGroups.map((group) => `g, ${group}, role:admin`).join('\n') }
          : {}),
      },
    },
    server: { ...(operations.server as Record<string, unknown>), service: { type: 'ClusterIP' } },
  };
}

const argoCdLocalPort = 8080;
/** Where Argo CD is reached through the port-forward; an SSO client must allow <this URL>/auth/callback. */
export const argoCdLocalUrl = `https://localhost:${argoCdLocalPort}`;
/** Port-forward to the Argo CD UI/API; there is no public endpoint. */
export const argoCdPortForwardCommand = `kubectl -n ${argocd.namespace} port-forward svc/argocd-server ${argoCdLocalPort}:443`;
export const argoCdAdminPasswordCommand = `kubectl -n ${argocd.namespace} get secret argocd-initial-admin-secret -o jsonpath='{.data.password}' | base64 -d`;
