/**
 * One source of truth for every setting shared by cluster/ (AWS CDK), k8s/ (cdk8s) and argocd/.
 *
 * Environments are data: adding one is one entry in `environments` (and a pin file in platform/pins/).
 */
export const service = {
  /** app.kubernetes.io/name, the ECR repository name and the prefix of every AWS name. */
  name: 'desktop-backend',
  /** app.kubernetes.io/part-of */
  partOf: 'desktop-platform',
} as const;

/** The Kubernetes minor version of the cluster; the manifests use only GA APIs it serves. */
export const kubernetesVersion = '1.36';

/** The git repository Argo CD syncs from, and the branch it follows. */
export const gitRepository = {
  url: 'https://github.com/example-org/desktop-backend-gitops.git',
  /** owner/name, as GitHub's OIDC tokens name it in their `sub` claim. */
  slug: 'example-org/desktop-backend-gitops',
  targetRevision: 'main',
  /** Folder of rendered manifests per environment, and folder of the Argo CD applications. */
  chartsDir: 'charts-out',
  argocdDir: 'argocd',
} as const;

export interface Environment {
  /** Short name: folder under charts-out/, pin file name, part of every AWS name. */
  readonly name: string;
  /** Kubernetes namespace the service runs in. */
  readonly namespace: string;
  /** Public host name served by the ALB. */
  readonly host: string;
  readonly aws: { readonly account: string; readonly region: string };
  /** Secrets Manager secret names: created by cluster/, read by the ExternalSecrets in k8s/. */
  readonly secrets: { readonly database: string; readonly jwt: string };
  /** Production gets Multi-AZ RDS, more replicas and stricter disruption budgets. */
  readonly production: boolean;
}

function environment(name: string, host: string, production: boolean): Environment {
  return {
    name,
    namespace: `${service.name}-${name}`,
    host,
    aws: { account: '111111111111', region: 'eu-west-1' },
    secrets: {
      database: `${service.name}/${name}/database`,
      jwt: `${service.name}/${name}/jwt`,
    },
    production,
  };
}

export const environments: readonly Environment[] = [
  environment('staging', 'desktop.staging.example.com', false),
  environment('production', 'desktop.example.com', true),
];

export function environmentNamed(name: string): Environment {
  const found = environments.find((env) => env.name === name);
  if (!found) {
    throw new Error(`unknown environment "${name}"; known: ${environments.map((env) => env.name).join(', ')}`);
  }
  return found;
}

/** The ECR repository URI of an environment's account and region. */
export function imageRepository(env: Environment): string {
  return `${env.aws.account}.dkr.ecr.${env.aws.region}.amazonaws.com/${service.name}`;
}
