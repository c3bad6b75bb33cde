import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { environments } from '../../platform/environments.js';
import { environmentSubnets, subnetGroupOrder, subnetLayout, type SubnetGroup } from '../../platform/network.js';
import { Network } from '../lib/network/index.js';
import { resources } from './support/synth.js';

const zones = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];

/** The subnets ec2.Vpc allocates for a layout, per group in zone order. */
function synthesizedSubnets(vpcCidr: string, zoneCount: number): Record<SubnetGroup, string[]> {
  const stack = new Stack(new App(), 'Layout', { env: { account: '111111111111', region: 'eu-west-1' } });
  new Network(stack, 'Network', {
    layout: subnetLayout(vpcCidr, zoneCount),
    availabilityZones: zones.slice(0, zoneCount),
  });
  const subnets = resources(Template.fromStack(stack), 'AWS::EC2::Subnet').map(([, subnet]) => subnet.Properties);
  const byName = (name: string) =>
    subnets
      .filter((subnet) =>
        (subnet.Tags as { Key: string; Value: string }[]).some(
          (tag) => tag.Key === 'aws-cdk:subnet-name' && tag.Value === name,
        ),
      )
      .sort((a, b) => String(a.AvailabilityZone).localeCompare(String(b.AvailabilityZone)))
      .map((subnet) => String(subnet.CidrBlock));
  return { public: byName('public'), nodes: byName('nodes'), database: byName('database') };
}

describe('platform/network.ts subnet layout', () => {
  for (const [vpcCidr, zoneCount] of [
    ['10.10.0.0/16', 2],
    ['10.20.0.0/16', 3],
    ['172.16.0.0/17', 2],
    ['192.168.0.0/16', 3],
  ] as const) {
    it(`equals what ec2.Vpc allocates for ${vpcCidr} over ${zoneCount} zones`, () => {
      const layout = subnetLayout(vpcCidr, zoneCount);
      const actual = synthesizedSubnets(vpcCidr, zoneCount);
      for (const group of subnetGroupOrder) assert.deepEqual(actual[group], layout[group], group);
    });
  }

  it('gives every environment disjoint public, node and database subnets inside its VPC', () => {
    for (const environment of environments) {
      const layout = environmentSubnets(environment);
      const all = subnetGroupOrder.flatMap((group) => layout[group]);
      assert.equal(new Set(all).size, all.length);
      for (const group of subnetGroupOrder) assert.equal(layout[group].length, environment.availabilityZoneCount);
    }
  });

  it('refuses a VPC too small for its subnets, naming the size that fits', () => {
    assert.throws(() => subnetLayout('10.0.0.0/18', 3), /too small .* must be a \/16 or larger/);
    assert.throws(() => subnetLayout('10.0.0.0/33', 2), /not an IPv4 CIDR block/);
  });

  it('refuses a zone list that does not match the layout', () => {
    const stack = new Stack(new App(), 'Mismatch');
    assert.throws(
      () =>
        new Network(stack, 'Network', { layout: subnetLayout('10.0.0.0/16', 3), availabilityZones: zones.slice(0, 2) }),
      /availabilityZones lists 2 zones but the layout has 3/,
    );
  });
});
