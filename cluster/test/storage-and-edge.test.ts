import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, it } from 'node:test';
import { edgeProtection } from '../../platform/edge.js';
import { environments, gitRepository } from '../../platform/environments.js';
import { clusterConfigs } from '../config/environments.js';
import { loadBalancerControllerServiceAccount } from '../lib/addons/aws-load-balancer-controller/index.js';
import { ebsCsiControllerServiceAccount, ebsCsiDriverAddonVersion } from '../lib/addons/ebs-csi-driver/index.js';
import {
  allResources,
  kubernetesManifests,
  podIdentity,
  repoRoot,
  resources,
  single,
  useSynthesizedCluster,
} from './support/synth.js';

const synthesized = useSynthesizedCluster();
const configs = new Map(clusterConfigs().map((config) => [config.environment.name, config]));

interface RuleProperty {
  name: string;
  action?: unknown;
  overrideAction?: unknown;
  statement: {
    rateBasedStatement?: { limit: number; aggregateKeyType: string };
    managedRuleGroupStatement?: { name: string; ruleActionOverrides?: { name: string; actionToUse: unknown }[] };
  };
}

interface RenderedIngress {
  kind: string;
  metadata: { annotations: Record<string, string> };
}

/** The environment's rendered Ingresses: what it runs, and what promotion would move to it next. */
function renderedIngresses(environmentName: string): RenderedIngress[] {
  const chartsOut = join(repoRoot, gitRepository.chartsDir);
  return [join(chartsOut, environmentName), join(chartsOut, 'candidates', environmentName)]
    .filter((dir) => existsSync(dir))
    .flatMap((dir) =>
      readdirSync(dir)
        .filter((file) => file.endsWith('.yaml'))
        .flatMap((file) =>
          parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((doc) => doc.toJS() as unknown),
        ),
    )
    .filter((doc): doc is RenderedIngress => (doc as { kind?: string } | null)?.kind === 'Ingress');
}

/** CloudFormation's PascalCase keys as the CDK's camelCase props (values untouched). */
function camelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [key.charAt(0).toLowerCase() + key.slice(1), camelKeys(inner)]),
  );
}

for (const environment of environments) {
  const settings = configs.get(environment.name)!.settings;
  const names = edgeProtection(environment);

  describe(`storage in ${environment.name}`, () => {
    const template = () => synthesized().environment(environment.name);

    it('runs the pinned aws-ebs-csi-driver add-on with its controller on a Pod Identity role', () => {
      const [, addon] = single(template(), 'AWS::EKS::Addon', { AddonName: 'aws-ebs-csi-driver' });
      assert.equal(addon.Properties.AddonVersion, ebsCsiDriverAddonVersion);
      const [association] = addon.Properties.PodIdentityAssociations as [
        { ServiceAccount: string; RoleArn: { 'Fn::GetAtt': [string, string] } },
      ];
      assert.equal(association.ServiceAccount, ebsCsiControllerServiceAccount);
      const role = allResources(template())[association.RoleArn['Fn::GetAtt'][0]]!;
      const trust = JSON.stringify(role.Properties.AssumeRolePolicyDocument);
      assert.match(trust, /pods\.eks\.amazonaws\.com/);
      assert.match(trust, /"aws:RequestTag\/kubernetes-service-account":"ebs-csi-controller-sa"/);
      assert.match(trust, /sts:TagSession/);
      assert.match(JSON.stringify(role.Properties.ManagedPolicyArns), /AmazonEBSCSIDriverPolicy/);
    });

    it('makes encrypted gp3, bound in the pod zone, the default StorageClass', () => {
      const classes = kubernetesManifests(template()).filter((manifest) => manifest.kind === 'StorageClass') as {
        metadata: { annotations: Record<string, string> };
        provisioner: string;
        parameters: Record<string, string>;
        volumeBindingMode: string;
        allowVolumeExpansion: boolean;
      }[];
      assert.equal(classes.length, 1);
      const [storageClass] = classes as [(typeof classes)[number]];
      assert.equal(storageClass.metadata.annotations['storageclass.kubernetes.io/is-default-class'], 'true');
      assert.equal(storageClass.provisioner, 'ebs.csi.aws.com');
      assert.equal(storageClass.parameters.type, 'gp3');
      assert.equal(storageClass.parameters.encrypted, 'true');
      assert.equal(storageClass.volumeBindingMode, 'WaitForFirstConsumer');
      assert.equal(storageClass.allowVolumeExpansion, true);
    });
  });

  describe(`edge protection in ${environment.name}`, () => {
    const template = () => synthesized().environment(environment.name);

    it('keeps ALB access logs in a private, encrypted, TLS-only bucket that expires them', () => {
      const [bucketId, bucket] = single(template(), 'AWS::S3::Bucket', { BucketName: names.accessLogs.bucket });
      const encryption = JSON.stringify(bucket.Properties.BucketEncryption);
      assert.match(encryption, /"SSEAlgorithm":"AES256"/);
      assert.deepEqual(bucket.Properties.PublicAccessBlockConfiguration, {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      const rules = (bucket.Properties.LifecycleConfiguration as { Rules: { ExpirationInDays: number }[] }).Rules;
      assert.ok(rules.some((rule) => rule.ExpirationInDays === settings.edge.accessLogRetentionDays));
      const [, policy] = resources(template(), 'AWS::S3::BucketPolicy').find(([, p]) =>
        JSON.stringify(p.Properties.Bucket).includes(bucketId),
      )!;
      const text = JSON.stringify(policy.Properties.PolicyDocument);
      assert.match(text, /"aws:SecureTransport":"false"/);
      // The ELB log delivery may write under the prefix the Ingress names, for this account only.
      assert.match(text, new RegExp(`/${names.accessLogs.prefix}/AWSLogs/${environment.aws.account}/\\*`));
      assert.match(text, /s3:PutObject/);
    });

    it(environment.production ? 'puts a WAF web ACL on the ALB' : 'runs no WAF (production only)', () => {
      const acls = resources(template(), 'AWS::WAFv2::WebACL');
      if (!environment.production) {
        assert.equal(acls.length, 0);
        assert.equal(names.webAclName, undefined);
        return;
      }
      const [, acl] = single(template(), 'AWS::WAFv2::WebACL');
      assert.equal(acl.Properties.Name, names.webAclName);
      assert.equal(acl.Properties.Scope, 'REGIONAL');
      assert.deepEqual(acl.Properties.DefaultAction, { Allow: {} });
      // The controller associates it by name, which needs wafv2:ListWebACLs (not in its published policy).
      const controller = podIdentity(template(), 'kube-system', loadBalancerControllerServiceAccount);
      assert.ok(controller.statements.some((statement) => [statement.Action].flat().includes('wafv2:ListWebACLs')));
    });

    it('is what the rendered Ingress names: the same access-log bucket and prefix, and web ACL', () => {
      const ingresses = renderedIngresses(environment.name);
      if (environment.production) assert.ok(ingresses.length > 0, 'production renders an Ingress');
      for (const ingress of ingresses) {
        const annotations = ingress.metadata.annotations;
        const attributes = Object.fromEntries(
          annotations['alb.ingress.kubernetes.io/load-balancer-attributes']!.split(',').map((pair) => pair.split('=')),
        ) as Record<string, string>;
        assert.equal(attributes['access_logs.s3.enabled'], 'true');
        assert.equal(attributes['access_logs.s3.bucket'], names.accessLogs.bucket);
        assert.equal(attributes['access_logs.s3.prefix'], names.accessLogs.prefix);
        assert.equal(annotations['alb.ingress.kubernetes.io/wafv2-acl-name'], names.webAclName);
      }
      const bucket = single(template(), 'AWS::S3::Bucket', { BucketName: names.accessLogs.bucket });
      assert.ok(bucket);
    });

    if (environment.production) {
      it('rate-limits per IP, blocks known bad inputs and the common rule set, without breaking API bodies or WebSocket clients', () => {
        const [, acl] = single(template(), 'AWS::WAFv2::WebACL');
        const rules = (acl.Properties.Rules as unknown[]).map((rule) => camelKeys(rule) as RuleProperty);
        const rate = rules.find((rule) => rule.statement.rateBasedStatement)!;
        assert.deepEqual(rate.statement.rateBasedStatement, {
          limit: settings.edge.rateLimitPerFiveMinutes,
          aggregateKeyType: 'IP',
          evaluationWindowSec: 300,
        });
        assert.deepEqual(rate.action, { block: {} });
        const groups = rules.map((rule) => rule.statement.managedRuleGroupStatement?.name).filter(Boolean);
        assert.deepEqual(groups.sort(), ['AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet']);
        const common = rules.find(
          (rule) => rule.statement.managedRuleGroupStatement?.name === 'AWSManagedRulesCommonRuleSet',
        )!;
        // The 8 KB body rule would refuse JSON bodies the server accepts (up to 100 KiB); a WebSocket client may
        // send no User-Agent. Both only count; every other rule of the set blocks.
        assert.deepEqual(
          common.statement.managedRuleGroupStatement!.ruleActionOverrides!.map((o) => [o.name, o.actionToUse]),
          [
            ['SizeRestrictions_BODY', { count: {} }],
            ['NoUserAgent_HEADER', { count: {} }],
          ],
        );
        assert.deepEqual(common.overrideAction, { none: {} });
      });
    }
  });
}
