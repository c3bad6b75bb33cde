import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { buildApp, type BuildAppOptions, type BuiltApp } from '../../lib/app.js';

const repoRoot = join(import.meta.dirname, '..', '..', '..');

export interface SynthesizedCluster {
  readonly built: BuiltApp;
  readonly assembly: CloudAssembly;
  /** The template of an environment's stack, by environment name. */
  environment(name: string): Template;
  /** The single delivery stack (all environments share one account and region). */
  delivery(): Template;
  /** Removes the temporary cloud assembly. */
  dispose(): void;
}

/**
 * Synthesizes the whole app once, as `cdk synth` would: with the context of cdk.json (availability zones, feature
 * flags), into a temporary directory. A test file calls it once in `before` and shares the result.
 */
export function synthesizeCluster(options: BuildAppOptions = {}): SynthesizedCluster {
  const cdkJson = JSON.parse(readFileSync(join(repoRoot, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const outdir = mkdtempSync(join(tmpdir(), 'cluster-synth-'));
  const app = new App({ context: cdkJson.context, outdir });
  const built = buildApp(app, { nag: false, controlTower: false, ...options });
  let assembly: CloudAssembly;
  try {
    assembly = app.synth();
  } catch (error) {
    // The report lives in the temporary outdir: put its findings in the failure itself.
    const findings = existsSync(join(outdir, 'validation-report.json')) ? validationFindings(outdir) : [];
    rmSync(outdir, { recursive: true, force: true });
    throw new Error([(error as Error).message, ...findings].join('\n'), { cause: error });
  }
  const templates = new Map<string, Template>();
  const template = (stackName: string): Template => {
    let found = templates.get(stackName);
    if (!found) {
      found = Template.fromJSON(assembly.getStackByName(stackName).template as Record<string, unknown>);
      templates.set(stackName, found);
    }
    return found;
  };
  return {
    built,
    assembly,
    environment: (name) => {
      const stack = built.environmentStacks.get(name);
      if (!stack) throw new Error(`no stack for environment ${name}`);
      return template(stack.stackName);
    },
    delivery: () => {
      const [stack] = built.deliveryStacks;
      if (!stack || built.deliveryStacks.length !== 1) throw new Error('expected one delivery stack');
      return template(stack.stackName);
    },
    dispose: () => {
      rmSync(outdir, { recursive: true, force: true });
    },
  };
}

/**
 * The app synthesized once for the calling test file: in its `before` hook, disposed of in its `after` hook. Call at
 * the top level of the file; the getter fails if a test runs before the synthesis.
 */
export function useSynthesizedCluster(options: BuildAppOptions = {}): () => SynthesizedCluster {
  let synthesized: SynthesizedCluster | undefined;
  before(() => {
    synthesized = synthesizeCluster(options);
  });
  after(() => {
    synthesized?.dispose();
  });
  return () => {
    if (!synthesized) throw new Error('the cluster app is synthesized in the before hook');
    return synthesized;
  };
}

export type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] } & Record<
  string,
  unknown
>;

/** The only resource of `type` matching `props`; fails when there are none or several. */
export function single(template: Template, type: string, props?: Record<string, unknown>): [string, Resource] {
  const found = Object.entries(template.findResources(type, props ? { Properties: props } : undefined));
  if (found.length !== 1) throw new Error(`expected exactly one ${type}, found ${found.length}`);
  return found[0] as [string, Resource];
}

/** All resources of a template by logical id. */
export function allResources(template: Template): Record<string, Resource> {
  return (template.toJSON() as { Resources: Record<string, Resource> }).Resources;
}

export function resources(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.findResources(type)) as [string, Resource][];
}

/** Helm chart values: a JSON string, or a Fn::Join of strings and tokens (rendered as "<token>"). */
export function helmValues(resource: Resource): Record<string, unknown> {
  const values = resource.Properties.Values;
  if (typeof values === 'string') return JSON.parse(values) as Record<string, unknown>;
  const join = (values as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  const text = join[1].map((part) => (typeof part === 'string' ? part : '<token>')).join(join[0]);
  return JSON.parse(text) as Record<string, unknown>;
}

/** Kubernetes manifests applied by the cluster's kubectl handler (plain JSON ones; token-bearing parts as "<token>"). */
export function kubernetesManifests(template: Template): Record<string, unknown>[] {
  return kubernetesResources(template).flatMap(([, manifests]) => manifests);
}

/** Each kubectl-applied resource: its logical id and the manifests it applies. */
export function kubernetesResources(template: Template): [string, Record<string, unknown>[]][] {
  return resources(template, 'Custom::AWSCDK-EKS-KubernetesResource').map(([id, resource]) => {
    const manifest = resource.Properties.Manifest;
    const text =
      typeof manifest === 'string'
        ? manifest
        : (manifest as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1]
            .map((part) => (typeof part === 'string' ? part : '<token>'))
            .join('');
    return [id, JSON.parse(text) as Record<string, unknown>[]];
  });
}

/** The logical id of the only kubectl-applied resource whose manifest is of `kind`. */
export function kubernetesResourceOfKind(template: Template, kind: string): string {
  const found = kubernetesResources(template).filter(([, manifests]) => manifests.some((m) => m.kind === kind));
  if (found.length !== 1) throw new Error(`expected one ${kind} manifest, found ${found.length}`);
  return found[0]![0];
}

/** Every logical id `id` depends on, directly or through other resources. */
export function transitiveDependencies(template: Template, id: string): Set<string> {
  const all = template.toJSON() as { Resources: Record<string, Resource> };
  const seen = new Set<string>();
  const queue = [id];
  while (queue.length > 0) {
    const next = queue.pop()!;
    for (const dependency of all.Resources[next]?.DependsOn ?? []) {
      if (!seen.has(dependency)) {
        seen.add(dependency);
        queue.push(dependency);
      }
    }
  }
  return seen;
}

export { repoRoot };

/**
 * The trust conditions of an IRSA role as text. aws-eks-v2 computes them at deploy time through a CfnJson custom
 * resource (the OIDC issuer is only known then); its `Value` holds the condition document.
 */
export function irsaTrustText(template: Template, roleId: string): string {
  const all = template.toJSON() as { Resources: Record<string, Resource> };
  const trust = JSON.stringify(all.Resources[roleId]?.Properties.AssumeRolePolicyDocument);
  const conditionIds = [...trust.matchAll(/"Fn::GetAtt":\["([^"]+)","Value"\]/g)].map((match) => match[1]!);
  return [trust, ...conditionIds.map((id) => JSON.stringify(all.Resources[id]?.Properties.Value))].join('\n');
}

export interface PodIdentity {
  readonly roleId: string;
  /** The trust policy's statements. */
  readonly trust: Record<string, unknown>[];
  /** Every statement of every policy attached to the role. */
  readonly statements: { Effect: string; Action: string | string[]; Resource: unknown }[];
  readonly role: Resource;
}

/** The EKS Pod Identity association of namespace/serviceAccount, its role and what the role may do. */
export function podIdentity(template: Template, namespace: string, serviceAccount: string): PodIdentity {
  const [, association] = single(template, 'AWS::EKS::PodIdentityAssociation', {
    Namespace: namespace,
    ServiceAccount: serviceAccount,
  });
  const roleId = (association.Properties.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const all = allResources(template);
  const role = all[roleId]!;
  const policies = Object.values(all).filter(
    (resource) =>
      resource.Type === 'AWS::IAM::Policy' &&
      (resource.Properties.Roles as { Ref: string }[]).some((ref) => ref.Ref === roleId),
  );
  return {
    roleId,
    role,
    trust: (role.Properties.AssumeRolePolicyDocument as { Statement: Record<string, unknown>[] }).Statement,
    statements: policies.flatMap(
      (policy) => (policy.Properties.PolicyDocument as { Statement: PodIdentity['statements'] }).Statement,
    ),
  };
}

/** The role trusts EKS Pod Identity for this cluster's namespace/serviceAccount only, in one statement. */
export function assertPodIdentityTrust(identity: PodIdentity, namespace: string, serviceAccount: string): void {
  assert.equal(identity.trust.length, 1, JSON.stringify(identity.trust));
  const [statement] = identity.trust as [
    { Principal: { Service: string }; Action: string[]; Condition: { StringEquals: Record<string, unknown> } },
  ];
  assert.deepEqual(statement.Principal, { Service: 'pods.eks.amazonaws.com' });
  assert.deepEqual([...statement.Action].sort(), ['sts:AssumeRole', 'sts:TagSession']);
  const conditions = statement.Condition.StringEquals;
  assert.equal(conditions['aws:RequestTag/kubernetes-namespace'], namespace);
  assert.equal(conditions['aws:RequestTag/kubernetes-service-account'], serviceAccount);
  assert.ok(conditions['aws:RequestTag/eks-cluster-name'], 'names the cluster');
  assert.ok(conditions['aws:SourceAccount'], 'names the account');
}

interface ValidationReport {
  pluginReports: {
    pluginName: string;
    violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
  }[];
}

/** Unacknowledged findings of a cloud assembly's validation report, as "<plugin> <rule> at <paths>". */
export function validationFindings(outdir: string, pluginName?: string): string[] {
  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as ValidationReport;
  return report.pluginReports
    .filter((plugin) => !pluginName || plugin.pluginName === pluginName)
    .flatMap((plugin) =>
      plugin.violations.map((v) => `${v.ruleName} at ${v.violatingConstructs.map((c) => c.constructPath).join(', ')}`),
    );
}
