import type { Environment } from './environments.js';

/**
 * The subnet layout of every environment's VPC, computed here once: cluster/ builds the VPC with it (a test proves the
 * synthesized subnets equal it) and the NetworkPolicies of k8s/ admit the ALB and reach MySQL by its CIDR lists.
 */

/** Subnet group names; the cluster and the database select their subnets by these. */
export const subnetGroups = {
  /** Internet-facing ALBs (their network interfaces) and NAT gateways. */
  public: 'public',
  /** Nodes and pods (the VPC CNI gives pods VPC addresses: these are large). */
  nodes: 'nodes',
  /** The database (and other data stores): no route to or from the internet. */
  database: 'database',
} as const;

export type SubnetGroup = keyof typeof subnetGroups;

/** Prefix length of each group's subnets (one subnet per zone), in the order the VPC allocates them. */
export const subnetMasks: Readonly<Record<SubnetGroup, number>> = { public: 24, nodes: 19, database: 24 };

/** The order of the VPC's subnet configuration: ec2.Vpc allocates group after group, zone after zone. */
export const subnetGroupOrder: readonly SubnetGroup[] = ['public', 'nodes', 'database'];

/** One CIDR per availability zone, zone order, for each group. */
export type SubnetLayout = { readonly vpcCidr: string } & Readonly<Record<SubnetGroup, readonly string[]>>;

function ipToNumber(ip: string): number {
  return ip.split('.').reduce((total, octet) => total * 256 + Number(octet), 0);
}

function numberToIp(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

function parseCidr(cidr: string): { start: number; prefix: number } {
  const [, ip, prefixText] = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(cidr) ?? [];
  const prefix = Number(prefixText);
  if (ip === undefined || !ip.split('.').every((octet) => Number(octet) <= 255) || prefix > 32) {
    throw new Error(`"${cidr}" is not an IPv4 CIDR block such as 10.10.0.0/16`);
  }
  const size = 2 ** (32 - prefix);
  // Like ec2.Vpc, the block is taken at its network address (host bits cleared).
  return { start: Math.floor(ipToNumber(ip) / size) * size, prefix };
}

/**
 * The subnets of a VPC of `vpcCidr` over `availabilityZoneCount` zones, exactly as ec2.Vpc (IpAddresses.cidr)
 * allocates them: group after group in `subnetGroupOrder`, one subnet per zone, each placed at the next address
 * aligned on its own size. Throws when they do not fit, naming the smallest block that would.
 */
export function subnetLayout(vpcCidr: string, availabilityZoneCount: number): SubnetLayout {
  if (!Number.isInteger(availabilityZoneCount) || availabilityZoneCount < 1) {
    throw new Error(`availabilityZoneCount must be a positive integer, got ${availabilityZoneCount}`);
  }
  const { start, prefix } = parseCidr(vpcCidr);
  const end = start + 2 ** (32 - prefix);
  let next = start;
  const groups = {} as Record<SubnetGroup, string[]>;
  for (const group of subnetGroupOrder) {
    const size = 2 ** (32 - subnetMasks[group]);
    groups[group] = [];
    for (let zone = 0; zone < availabilityZoneCount; zone += 1) {
      const subnetStart = Math.ceil(next / size) * size;
      next = subnetStart + size;
      if (next > end) {
        throw new Error(
          `VPC ${vpcCidr} is too small for the subnets of ${availabilityZoneCount} availability zones ` +
            `(${subnetGroupOrder.map((g) => `${g} /${subnetMasks[g]}`).join(', ')} per zone): ` +
            `it must be a /${smallestVpcPrefix(availabilityZoneCount)} or larger`,
        );
      }
      groups[group].push(`${numberToIp(subnetStart)}/${subnetMasks[group]}`);
    }
  }
  return { vpcCidr: `${numberToIp(start)}/${prefix}`, ...groups };
}

/** The smallest VPC prefix that holds the subnets of `availabilityZoneCount` zones. */
export function smallestVpcPrefix(availabilityZoneCount: number): number {
  let end = 0;
  for (const group of subnetGroupOrder) {
    const size = 2 ** (32 - subnetMasks[group]);
    end = Math.ceil(end / size) * size + availabilityZoneCount * size;
  }
  return 32 - Math.ceil(Math.log2(end));
}

/** An environment's subnet layout (its vpcCidr over its availabilityZoneCount zones). */
export function environmentSubnets(environment: Pick<Environment, 'vpcCidr' | 'availabilityZoneCount'>): SubnetLayout {
  return subnetLayout(environment.vpcCidr, environment.availabilityZoneCount);
}
