import { execFileSync } from 'node:child_process';
import { environmentNamed, environments, type Environment } from '../../platform/environments.js';
import { availabilityZonesContextKey, cdkJsonPath, recordAvailabilityZones } from '../config/availability-zones.js';

/**
 * npm run cluster:record-azs -- <environment>
 *
 * Records the availability zones of the environment's account and region in cdk.json, once, with credentials for
 * that account (the AWS CLI's), so `npm run cluster:synth` works offline afterwards. It refuses credentials of
 * another account: zone names are mapped per account. Without the CLI, credentials or network it stops with what
 * failed and the cdk.json entry to add by hand instead, never with a stack trace.
 */
const name = process.argv[2];
if (!name) {
  console.error('usage: npm run cluster:record-azs -- <environment>');
  process.exit(2);
}
if (!environments.some((env) => env.name === name)) {
  console.error(`unknown environment "${name}"; known: ${environments.map((env) => env.name).join(', ')}`);
  process.exit(2);
}
const environment = environmentNamed(name);
const { account, region } = environment.aws;

/** What to do instead when AWS cannot be asked from here. */
function byHand(env: Environment): string {
  const key = availabilityZonesContextKey(env.aws);
  return (
    `Run it where the AWS CLI has credentials for account ${env.aws.account} (e.g. AWS_PROFILE=<profile>), or add to ` +
    `"context" in cdk.json by hand:\n  "${key}": ["${env.aws.region}a", "${env.aws.region}b", ...]\n` +
    `with the zone names \`aws ec2 describe-availability-zones --region ${env.aws.region}\` lists for that account.`
  );
}

function aws(...args: string[]): string {
  try {
    const output = execFileSync('aws', [...args, '--output', 'text'], { encoding: 'utf8', stdio: 'pipe' });
    return output.trim();
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string };
    const why =
      failure.code === 'ENOENT'
        ? 'the AWS CLI (`aws`) is not installed or not on PATH (docs/deploy.md, "Prerequisites")'
        : `\`aws ${args.slice(0, 2).join(' ')}\` failed: ${(failure.stderr ?? failure.message).trim()}`;
    console.error(
      `cannot read the availability zones of account ${account} in ${region}: ${why}\n${byHand(environment)}`,
    );
    process.exit(1);
  }
}

const callerAccount = aws('sts', 'get-caller-identity', '--query', 'Account');
if (callerAccount !== account) {
  console.error(
    `the AWS credentials are for account ${callerAccount}, but "${name}" runs in ${account}\n${byHand(environment)}`,
  );
  process.exit(1);
}
// What the CDK's own lookup records: the zones (not Local or Wavelength Zones) that are available.
const zones = aws(
  'ec2',
  'describe-availability-zones',
  '--region',
  region,
  '--filters',
  'Name=zone-type,Values=availability-zone',
  'Name=state,Values=available',
  '--query',
  'AvailabilityZones[].ZoneName',
).split(/\s+/);
if (zones.length < environment.availabilityZoneCount) {
  console.error(
    `${region} offers ${zones.length} zones to ${account}; "${name}" needs ${environment.availabilityZoneCount}`,
  );
  process.exit(1);
}
await recordAvailabilityZones(cdkJsonPath, environment.aws, zones);
console.log(`cdk.json: "${availabilityZonesContextKey(environment.aws)}": ${JSON.stringify(zones.sort())}`);
