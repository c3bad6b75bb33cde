import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { service } from '../../platform/service.js';
import { clusterConfigs } from '../config/environments.js';
import type { ClusterConfig } from '../config/schema.js';
import { addControlTowerChecks } from './control-tower-acknowledgements.js';
import { DeliveryStack } from './delivery-stack.js';
import { EnvironmentStack } from './environment-stack.js';

export interface BuildAppOptions {
  /** @default clusterConfigs() (validated; throws ClusterConfigError on a bad value) */
  readonly configs?: readonly ClusterConfig[];
  /** Run cdk-nag AwsSolutions on every stack; synthesis fails on an unacknowledged finding. @default true */
  readonly nag?: boolean;
  /**
   * Run the AWS Control Tower proactive controls (cfn-guard) on every stack; synthesis fails on a finding not
   * acknowledged in control-tower-acknowledgements.ts. @default true
   */
  readonly controlTower?: boolean;
}

export interface BuiltApp {
  readonly environmentStacks: ReadonlyMap<string, EnvironmentStack>;
  readonly deliveryStacks: readonly DeliveryStack[];
}

/** One stack per environment, one delivery stack per account/region those environments use. */
export function buildApp(app: App, options: BuildAppOptions = {}): BuiltApp {
  const configs = options.configs ?? clusterConfigs();
  const environmentStacks = new Map<string, EnvironmentStack>();
  for (const config of configs) {
    const stack = new EnvironmentStack(app, `${service.name}-${config.environment.name}`, { config });
    environmentStacks.set(config.environment.name, stack);
  }

  const byAccountRegion = Map.groupBy(
    configs,
    ({ environment }) => `${environment.aws.account}/${environment.aws.region}`,
  );
  const deliveryStacks = [...byAccountRegion.values()].map((group) => {
    const [{ environment }] = group as [ClusterConfig];
    const { account, region } = environment.aws;
    const id =
      byAccountRegion.size === 1 ? `${service.name}-delivery` : `${service.name}-delivery-${account}-${region}`;
    return new DeliveryStack(app, id, {
      account,
      region,
      keepImages: Math.max(...group.map(({ settings }) => settings.ecrKeepImages)),
      existingGithubOidcProviderArn: group.map(({ settings }) => settings.existingGithubOidcProviderArn).find(Boolean),
    });
  });

  if (options.nag ?? true) addNagChecks(app);
  if (options.controlTower ?? true) addControlTowerChecks(app, environmentStacks);
  return { environmentStacks, deliveryStacks };
}

/** cdk-nag AwsSolutions over the whole app: a finding fails synthesis unless acknowledged in code with a reason. */
export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}
