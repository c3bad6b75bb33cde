import { ApiObject, Chart, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { components, labelKeys, selectorLabels } from '../labels.js';
import { ExternalSecret } from '../external-secrets/index.js';
import { removeAddressLabel } from '../web-service/index.js';
import { argoAnnotations, syncWave, syncWaves } from '../sync-waves.js';
import type { MigrationJobProps } from './props.js';

/**
 * Deleted before the next sync creates it again (a Job's template is immutable, and a named hook must not collide
 * with its previous run) and as soon as it succeeds; a failed run stays for `kubectl logs` until the next sync.
 */
export const migrationHookDeletePolicy = 'BeforeHookCreation,HookSucceeded';

/**
 * Database migrations as an Argo CD PreSync hook: they run once per sync, before any object of the release is
 * applied, and a failure stops the sync (the old pods keep serving).
 *
 * The Job needs the DB credentials, but in the very first sync the app's ExternalSecret (a Sync-phase resource) does
 * not exist yet. So the migration gets its own ExternalSecret as a PreSync hook one wave earlier: Argo CD waits until
 * it is healthy (its Secret written) before starting the Job. It is re-created on each sync (BeforeHookCreation
 * only: deleting it on success would delete its Secret under the Job that is about to start).
 */
export class MigrationJob extends Construct {
  readonly job: kplus.Job;
  readonly secret: ExternalSecret;

  constructor(scope: Construct, id: string, props: MigrationJobProps) {
    super(scope, id);
    const { contract } = props;
    const componentLabel = { [labelKeys.component]: components.migration };

    this.secret = new ExternalSecret(this, 'secret', {
      name: `${props.name}-db`,
      clusterSecretStore: props.clusterSecretStore,
      entries: props.databaseEntries,
      component: components.migration,
      hook: { hook: 'PreSync', wave: syncWaves.migrationSecret, deletePolicy: 'BeforeHookCreation' },
    });
    const secret = kplus.Secret.fromSecretName(this, 'secret-ref', this.secret.secretName);

    const envVariables: Record<string, kplus.EnvValue> = {};
    for (const [variable, value] of Object.entries(props.environment)) {
      envVariables[variable] = kplus.EnvValue.fromValue(value);
    }
    for (const entry of props.databaseEntries) {
      envVariables[entry.secretKey] = kplus.EnvValue.fromSecretValue({ secret, key: entry.secretKey });
    }

    const tmp = kplus.Volume.fromEmptyDir(this, 'tmp', 'tmp', { sizeLimit: Size.mebibytes(64) });
    this.job = new kplus.Job(this, 'job', {
      metadata: {
        name: props.name,
        labels: componentLabel,
        annotations: {
          [argoAnnotations.hook]: 'PreSync',
          [argoAnnotations.hookDeletePolicy]: migrationHookDeletePolicy,
          ...syncWave(syncWaves.migration),
        },
      },
      podMetadata: {
        labels: {
          ...Chart.of(this).labels,
          ...selectorLabels(props.env, components.migration),
          [labelKeys.version]: props.version,
        },
      },
      // The namespace's default ServiceAccount (it exists before any hook runs) without its token.
      automountServiceAccountToken: false,
      backoffLimit: props.backoffLimit ?? 2,
      activeDeadline: props.activeDeadline ?? Duration.minutes(10),
      ttlAfterFinished: props.ttlAfterFinished ?? Duration.days(1),
      securityContext: {
        ensureNonRoot: true,
        user: contract.image.uid,
        group: contract.image.gid,
        fsGroup: contract.image.gid,
      },
      volumes: [tmp],
      containers: [
        {
          name: 'migrate',
          image: props.image,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          command: [...contract.image.migrateCommand],
          workingDir: contract.image.workdir,
          envVariables,
          resources: {
            cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.units(1) },
            memory: { request: Size.mebibytes(128), limit: Size.mebibytes(256) },
          },
          securityContext: {
            ensureNonRoot: true,
            user: contract.image.uid,
            group: contract.image.gid,
            privileged: false,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            capabilities: { drop: [kplus.Capability.ALL] },
            seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
          },
          volumeMounts: [{ path: '/tmp', volume: tmp }],
        },
      ],
    });
    ApiObject.of(this.job).addJsonPatch(
      removeAddressLabel,
      JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
    );
  }
}
