import { ApiObject, Chart, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { environmentSubnets } from '../../../platform/network.js';
import { components, labelKeys, selectorLabels } from '../labels.js';
import { ExternalSecret } from '../external-secret/index.js';
import { MigrationNetworkPolicy } from '../network-policies/index.js';
import {
  environmentVariables,
  podTemplatePatches,
  restrictedContainerSecurity,
  restrictedPodSecurity,
} from '../pod-security.js';
import { hookAnnotations, syncWaves } from '../sync-waves.js';
import { validate } from '../validation.js';
import type { HookDeletePolicy } from '../sync-waves.js';
import type { MigrationJobProps } from './migration-job-props.js';

/**
 * Deleted before the next sync creates it again (a Job's template is immutable, and a named hook must not collide
 * with its previous run) and as soon as it succeeds; a failed run stays for `kubectl logs` until the next sync.
 */
export const migrationHookDeletePolicies: readonly HookDeletePolicy[] = ['BeforeHookCreation', 'HookSucceeded'];

/**
 * The hooks the Job needs in place before it starts (its Secret and its NetworkPolicy) are re-created by each sync
 * and otherwise kept: deleting them when they turn healthy would pull them from under the Job that is about to run.
 */
const prerequisiteHook = {
  hook: 'PreSync',
  wave: syncWaves.migrationSecret,
  deletePolicies: ['BeforeHookCreation'],
} as const;

/** Refuses a migration Job that could not run, or would never be retried or stopped. */
function validateProps(id: string, props: MigrationJobProps): void {
  validate(`MigrationJob "${id}"`)
    .dnsLabel('name', props.name)
    .check(
      /^[^\s:]+[:@]\S+$/.test(props.image),
      'image',
      `must be repository:tag or repository@digest (got "${props.image}")`,
    )
    .check(props.databaseEntries.length > 0, 'databaseEntries', 'must give the migration its database credentials')
    .variableNames('environment', Object.keys(props.environment))
    .integer('backoffLimit', props.backoffLimit, 0, 10)
    .check(props.command === undefined || props.command.length > 0, 'command', 'must not be empty')
    .integer('wave', props.wave, syncWaves.migrationSecret + 1, 10)
    .check(
      props.activeDeadline === undefined || props.activeDeadline.toSeconds() >= 60,
      'activeDeadline',
      'must be at least a minute',
    )
    .done();
}

/**
 * Database migrations as an Argo CD PreSync hook: they run once per sync, before any object of the release is
 * applied, and a failure stops the sync (the old pods keep serving).
 *
 * The Job needs the DB credentials, but in the very first sync the app's ExternalSecret (a Sync-phase resource) does
 * not exist yet. So the migration gets its own ExternalSecret as a PreSync hook one wave earlier: Argo CD waits until
 * it is healthy (its Secret written) before starting the Job. Its NetworkPolicy (DNS and MySQL out, nothing in) is a
 * hook of the same wave, so the Job's pod is isolated from its very first run.
 */
export class MigrationJob extends Construct {
  readonly job: kplus.Job;
  readonly secret: ExternalSecret;
  readonly networkPolicy: MigrationNetworkPolicy;

  constructor(scope: Construct, id: string, props: MigrationJobProps) {
    validateProps(id, props);
    super(scope, id);
    const { contract } = props;
    const component = props.component ?? components.migration;
    const componentLabel = { [labelKeys.component]: component };

    this.secret = new ExternalSecret(this, 'secret', {
      name: `${props.name}-db`,
      clusterSecretStore: props.clusterSecretStore,
      entries: props.databaseEntries,
      component,
      hook: prerequisiteHook,
    });
    const secret = kplus.Secret.fromSecretName(this, 'secret-ref', this.secret.secretName);
    const envVariables = environmentVariables(
      props.environment,
      secret,
      Object.fromEntries(props.databaseEntries.map((entry) => [entry.secretKey, entry.secretKey])),
    );
    const podSelector = selectorLabels(props.env, component);

    this.networkPolicy = new MigrationNetworkPolicy(this, 'network-policy', {
      name: props.name,
      pods: kplus.Pods.select(this, 'pods', { labels: podSelector }),
      component,
      databaseSubnets: environmentSubnets(props.env).database,
      annotations: hookAnnotations(prerequisiteHook.hook, prerequisiteHook.wave, prerequisiteHook.deletePolicies),
    });

    const tmp = kplus.Volume.fromEmptyDir(this, 'tmp', 'tmp', { sizeLimit: Size.mebibytes(64) });
    this.job = new kplus.Job(this, 'job', {
      metadata: {
        name: props.name,
        labels: { ...componentLabel, [labelKeys.version]: props.version },
        annotations: hookAnnotations('PreSync', props.wave ?? syncWaves.migration, migrationHookDeletePolicies),
      },
      podMetadata: {
        labels: {
          ...Chart.of(this).labels,
          ...podSelector,
          [labelKeys.version]: props.version,
        },
      },
      // The namespace's default ServiceAccount (it exists before any hook runs) without its token.
      automountServiceAccountToken: false,
      backoffLimit: props.backoffLimit ?? 2,
      activeDeadline: props.activeDeadline ?? Duration.minutes(10),
      ttlAfterFinished: props.ttlAfterFinished ?? Duration.days(1),
      securityContext: restrictedPodSecurity(contract),
      volumes: [tmp],
      containers: [
        {
          name: component === components.migration ? 'migrate' : component,
          image: props.image,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          command: [...(props.command ?? contract.image.migrateCommand)],
          workingDir: contract.image.workdir,
          envVariables,
          resources: {
            cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.units(1) },
            memory: { request: Size.mebibytes(128), limit: Size.mebibytes(256) },
          },
          securityContext: restrictedContainerSecurity(contract),
          volumeMounts: [{ path: '/tmp', volume: tmp }],
        },
      ],
    });
    ApiObject.of(this.job).addJsonPatch(...podTemplatePatches);
  }
}
