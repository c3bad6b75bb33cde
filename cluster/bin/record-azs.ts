import { execFileSync } from 'node:child_process';
import { environmentNamed } from '../../platform/environments.js';
import { availabilityZonesContextKey, cdkJsonPath, recordAvailabilityZones } from '../config/availability-zones.js';

/**
 * npm run cluster:record-azs -- <environment>
 *
 * Records the availability zones of the environment's account and region in cdk.json, once, with credentials for
 * that account (the AWS CLI's), so `npm run cluster:synth` works offline afterwards. It refuses credentials of
 * another account: zone names are mapped per account.
 */
const name = process.argv[2];
if (!name) {
  console.error('usage: npm run cluster:record-azs -- <environment>');
  process.exit(2);
}
const environment = environmentNamed(name);
const { account, region } = environment.aws;

function aws(...args: string[]): string {
  return execFileSync('aws', [...args, '--output', 'text'], { encoding: 'utf8' }).trim();
}

const callerAccount = aws('sts', 'get-caller-identity', '--query', 'Account');
if (callerAccount !== account) {
  console.error(`the AWS credentials are for account ${callerAccount}, but "${name}" runs in ${account}`);
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
