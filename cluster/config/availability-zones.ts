import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Node } from 'constructs';
import * as prettier from 'prettier';
import type { Environment } from '../../platform/environments.js';
import { ClusterConfigError } from './schema.js';

/** Where cdk.json lives (the repository root), for the command that records zones. */
export const cdkJsonPath = join(import.meta.dirname, '..', '..', 'cdk.json');

/**
 * The context key under which the CDK keeps an account's availability zones in a region (the key its own lookup
 * writes). Zone names are mapped per account, so the account is part of it.
 */
export function availabilityZonesContextKey(aws: Environment['aws']): string {
  return `availability-zones:account=${aws.account}:region=${aws.region}`;
}

/**
 * The zones an environment's VPC uses, from the cdk.json context: the first `availabilityZoneCount` recorded ones.
 * Missing, they would make `cdk synth` call AWS ("Need to perform AWS calls") and leave a cdk.context.json behind;
 * this fails first with the key to add and the command that adds it.
 */
export function recordedAvailabilityZones(node: Node, environment: Environment): string[] {
  const key = availabilityZonesContextKey(environment.aws);
  const recorded: unknown = node.tryGetContext(key);
  const fix =
    `run once, with credentials for account ${environment.aws.account}: ` +
    `npm run cluster:record-azs -- ${environment.name}\n` +
    `or add it to "context" in cdk.json by hand: "${key}": ["${environment.aws.region}a", ` +
    `"${environment.aws.region}b", ...] (the zone names \`aws ec2 describe-availability-zones --region ` +
    `${environment.aws.region}\` lists for that account)`;
  if (recorded === undefined) {
    throw new ClusterConfigError(
      `environment "${environment.name}": the availability zones of account ${environment.aws.account} in ` +
        `${environment.aws.region} are not recorded, and synthesis does not ask AWS.\n` +
        `cdk.json has no context key "${key}": ${fix}`,
    );
  }
  const zones = Array.isArray(recorded) ? recorded.filter((zone): zone is string => typeof zone === 'string') : [];
  if (!Array.isArray(recorded) || zones.length !== recorded.length || new Set(zones).size !== zones.length) {
    throw new ClusterConfigError(
      `environment "${environment.name}": cdk.json context "${key}" must be a list of distinct zone names, got ` +
        JSON.stringify(recorded),
    );
  }
  if (zones.length < environment.availabilityZoneCount) {
    throw new ClusterConfigError(
      `environment "${environment.name}" spans ${environment.availabilityZoneCount} availability zones, but cdk.json ` +
        `context "${key}" records ${zones.length} (${zones.join(', ')}): ${fix}`,
    );
  }
  return zones.slice(0, environment.availabilityZoneCount);
}

/** Writes an account's zones into cdk.json's context (sorted, formatted as the repository formats it). */
export async function recordAvailabilityZones(
  path: string,
  aws: Environment['aws'],
  zones: readonly string[],
): Promise<void> {
  if (zones.length === 0) throw new Error(`no availability zones to record for ${aws.account} in ${aws.region}`);
  const cdkJson = JSON.parse(readFileSync(path, 'utf8')) as { context?: Record<string, unknown> };
  cdkJson.context = { ...cdkJson.context, [availabilityZonesContextKey(aws)]: [...zones].sort() };
  const options = (await prettier.resolveConfig(path)) ?? {};
  writeFileSync(path, await prettier.format(JSON.stringify(cdkJson), { ...options, filepath: path }));
}
