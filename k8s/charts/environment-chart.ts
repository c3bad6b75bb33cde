import { Chart } from 'cdk8s';
import type { ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { edgeProtection } from '../../platform/edge.js';
import { externalSecrets, gitRepository, imageRepository, monitoring } from '../../platform/environments.js';
import { databaseName, service } from '../../platform/service.js';
import type { Environment } from '../../platform/environments.js';
import { environmentSubnets } from '../../platform/network.js';
import type { ServerContract } from '../../platform/server-contract.js';
import { CanaryAnalysis, podTemplateHashLabel } from '../lib/canary-analysis/index.js';
import type { CanaryAnalysisProps } from '../lib/canary-analysis/index.js';
import {
  ExternalSecret,
  databaseEntries,
  jwtEntries,
  redisEntries,
  redisUrlTemplate,
} from '../lib/external-secret/index.js';
import { AlbIngress } from '../lib/alb-ingress/index.js';
import { commonLabels, components, instanceName } from '../lib/labels.js';
import { MigrationJob } from '../lib/migration-job/index.js';
import { Monitoring } from '../lib/monitoring/index.js';
import { ServerNetworkPolicy } from '../lib/network-policies/index.js';
import { WebService, containerName, portNames } from '../lib/web-service/index.js';
import type { CanaryProps, ReplicaRange } from '../lib/web-service/index.js';
import { checkDatabaseSettings, checkServerSettings } from '../lib/server-settings.js';
import { syncWaves } from '../lib/sync-waves.js';

export interface EnvironmentChartProps extends ChartProps {
  readonly env: Environment;
  /** From the environment's release pin (platform/pins/<env>.json). */
  readonly imageTag: string;
  readonly contract: ServerContract;
  /** @default 3–10 in production, 2–4 elsewhere */
  readonly replicas?: ReplicaRange;
}

/** How a release reaches an environment's users: weights and how long each analysis step measures. */
export interface CanaryPlan {
  readonly weights: CanaryProps['weights'];
  readonly analysis: Pick<CanaryAnalysisProps, 'interval' | 'count' | 'failureLimit'>;
}

/**
 * Production: 10 % for five one-minute measurements, then 50 % for five more, then everything. Staging (fewer users,
 * less signal): one 50 % step measured three times, so a merge reaches staging in minutes.
 */
export function canaryPlan(env: Environment): CanaryPlan {
  return env.production
    ? { weights: [10, 50], analysis: { interval: '1m', count: 5, failureLimit: 1 } }
    : { weights: [50], analysis: { interval: '1m', count: 3, failureLimit: 1 } };
}

/** The server's plain configuration in the cluster; secrets come from the ExternalSecret. */
export function serverEnvironment(env: Environment, contract: ServerContract) {
  const origin = `https://${env.host}`;
  return {
    NODE_ENV: 'production',
    PORT: String(contract.httpPort),
    METRICS_PORT: String(contract.metricsPort),
    DB_NAME: databaseName,
    // TLS to RDS, the certificate verified against the RDS CA bundle; the manifests never turn it off.
    DB_TLS: 'verify',
    DB_POOL_SIZE: '10',
    AUTH_REQUIRED: 'true',
    JWT_EXPIRES_IN: '8h',
    // Per environment, so a staging token is never accepted by production.
    JWT_ISSUER: origin,
    BCRYPT_ROUNDS: '12',
    USE_HELMET: 'true',
    CORS_ORIGINS: origin,
    SHUTDOWN_GRACE_MS: String(contract.shutdownGraceMs),
    SHUTDOWN_FORCE_MS: String(contract.shutdownForceMs),
    WS_HEARTBEAT_MS: String(contract.heartbeatMs),
    LOG_LEVEL: 'info',
  };
}

/** Everything one environment runs, rendered into charts-out/<env>/. */
export class EnvironmentChart extends Chart {
  readonly webService: WebService;

  constructor(scope: Construct, id: string, props: EnvironmentChartProps) {
    const { env, contract } = props;
    super(scope, id, { ...props, namespace: env.namespace, labels: commonLabels(env) });
    const name = service.name;
    const image = `${imageRepository(env)}:${props.imageTag}`;
    const environment = serverEnvironment(env, contract);
    checkServerSettings(`${env.name}: the server (Rollout ${service.name})`, environment);
    const replicas = props.replicas ?? (env.production ? { min: 3, max: 10 } : { min: 2, max: 4 });

    // The server connects as the application user (DML only); the master secret is read by no pod of the server.
    const serverSecretEntries = [...databaseEntries(env, 'databaseApp'), ...jwtEntries(env)];
    const appSecret = new ExternalSecret(this, 'secret', {
      name,
      clusterSecretStore: externalSecrets.clusterSecretStore,
      entries: [...serverSecretEntries, ...redisEntries(env)],
      templateData: redisUrlTemplate,
      component: components.secrets,
      wave: syncWaves.foundation,
    });

    // The database users, created or updated with the master credentials before the migration runs as one of them.
    new MigrationJob(this, 'database-users', {
      env,
      name: `${name}-db-users`,
      image,
      version: props.imageTag,
      contract,
      clusterSecretStore: externalSecrets.clusterSecretStore,
      databaseEntries: [
        ...databaseEntries(env, 'database'),
        ...databaseEntries(env, 'databaseApp', { DB_APP_USER: 'username', DB_APP_PASSWORD: 'password' }),
        ...databaseEntries(env, 'databaseMigrator', { DB_MIGRATOR_USER: 'username', DB_MIGRATOR_PASSWORD: 'password' }),
      ],
      command: contract.image.provisionDatabaseUsersCommand,
      component: components.databaseUsers,
      wave: syncWaves.provisionDatabaseUsers,
      environment: { NODE_ENV: environment.NODE_ENV, DB_NAME: databaseName, DB_TLS: environment.DB_TLS },
    });

    const migrationEnvironment = {
      NODE_ENV: environment.NODE_ENV,
      DB_NAME: databaseName,
      DB_TLS: environment.DB_TLS,
      LOG_LEVEL: environment.LOG_LEVEL,
    };
    checkDatabaseSettings(`${env.name}: the migration Job`, migrationEnvironment);
    new MigrationJob(this, 'migration', {
      env,
      name: `${name}-migrate`,
      image,
      version: props.imageTag,
      contract,
      clusterSecretStore: externalSecrets.clusterSecretStore,
      // The migration user (DDL) runs the migrations.
      databaseEntries: databaseEntries(env, 'databaseMigrator'),
      environment: migrationEnvironment,
    });

    const plan = canaryPlan(env);
    const subnets = environmentSubnets(env);
    const analysis = new CanaryAnalysis(this, 'canary-analysis', {
      name: `${name}-canary`,
      namespace: env.namespace,
      job: name,
      ...plan.analysis,
    });

    this.webService = new WebService(this, 'server', {
      env,
      name,
      image,
      version: props.imageTag,
      contract,
      environment,
      secretName: appSecret.secretName,
      secretEnvironment: Object.fromEntries(
        [...serverSecretEntries.map((entry) => entry.secretKey), ...Object.keys(redisUrlTemplate)].map((key) => [
          key,
          key,
        ]),
      ),
      replicas,
      canary: { weights: plan.weights, analysisTemplate: analysis.template.name },
      ingressName: name,
    });

    new AlbIngress(this, 'ingress', {
      name,
      host: env.host,
      service: this.webService.service,
      servicePort: contract.httpPort,
      contract,
      loadBalancerName: instanceName(env),
      canary: { stableService: this.webService.stableService.name, canaryService: this.webService.canaryService.name },
      // Deleting production's Ingress (or its Application) must not delete the ALB whose DNS name clients use.
      deletionProtection: env.production,
      // The WAF (production) and access-log bucket that cluster/ creates under the same names.
      edge: edgeProtection(env),
      tags: { Service: service.name, Environment: env.name },
    });

    new ServerNetworkPolicy(this, 'network-policy', {
      name,
      pods: this.webService.pods,
      loadBalancerSubnets: subnets.public,
      databaseSubnets: subnets.database,
      // ElastiCache Serverless endpoints are placed in the node subnets (cluster/).
      redisSubnets: subnets.nodes,
      httpPort: contract.httpPort,
      metricsPort: contract.metricsPort,
      monitoringNamespace: monitoring.namespace,
    });

    new Monitoring(this, 'monitoring', {
      name,
      namespace: env.namespace,
      environmentName: env.name,
      serviceSelector: this.webService.selectorLabels,
      metricsPortName: portNames.metrics,
      metricsPath: contract.paths.metrics,
      // The canary analysis tells canary from stable series by the ReplicaSet's pod-template hash.
      podTargetLabels: [podTemplateHashLabel.pod],
      workloadName: name,
      containerName,
      prometheusSelectorLabels: monitoring.prometheusSelectorLabels,
      grafanaDashboardLabels: monitoring.grafanaDashboardLabels,
      runbookUrl: `https://github.com/${gitRepository.slug}/blob/${gitRepository.targetRevision}/RUNBOOK.md`,
    });
  }
}
