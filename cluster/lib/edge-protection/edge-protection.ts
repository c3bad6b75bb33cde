import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { Construct } from 'constructs';
import type { EdgeProtectionProps } from './edge-protection-props.js';
import { acknowledgeAccessLogBucket } from './nag-acknowledgements.js';
import { webAclRules, webAclVisibility } from './web-acl.js';

const defaultProps = {
  rateLimitPerFiveMinutes: 2000,
  accessLogRetentionDays: 90,
} satisfies Partial<EdgeProtectionProps>;

/**
 * Edge protection of the environment's ALB (created by the load balancer controller from the Ingress, which names
 * both of these): an AWS WAF web ACL where platform/edge.ts asks for one, and the access-log bucket, encrypted, TLS
 * only, private, expiring logs after the retention.
 */
export class EdgeProtection extends Construct {
  readonly webAcl?: wafv2.CfnWebACL;
  readonly accessLogBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: EdgeProtectionProps) {
    super(scope, id);
    const { names, rateLimitPerFiveMinutes, accessLogRetentionDays } = { ...defaultProps, ...props };
    if (!Number.isInteger(rateLimitPerFiveMinutes) || rateLimitPerFiveMinutes < 10) {
      throw new Error(`EdgeProtection rateLimitPerFiveMinutes must be an integer of at least 10 (AWS WAF's minimum)`);
    }
    const stack = Stack.of(this);

    this.accessLogBucket = new s3.Bucket(this, 'AccessLogs', {
      bucketName: names.accessLogs.bucket,
      // ALB access logs can only be written with S3-managed keys (SSE-KMS is refused by the log delivery).
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          id: 'ExpireAccessLogs',
          expiration: Duration.days(accessLogRetentionDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Elastic Load Balancing writes the logs: the region's ELB account where one exists (older regions), the log
    // delivery service principal elsewhere, and only under the prefix and account the Ingress names.
    const elbAccount = RegionInfo.get(stack.region).elbv2Account;
    this.accessLogBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AlbAccessLogDelivery',
        principals: [
          elbAccount
            ? new iam.AccountPrincipal(elbAccount)
            : new iam.ServicePrincipal('logdelivery.elasticloadbalancing.amazonaws.com'),
        ],
        actions: ['s3:PutObject'],
        resources: [this.accessLogBucket.arnForObjects(`${names.accessLogs.prefix}/AWSLogs/${stack.account}/*`)],
      }),
    );
    acknowledgeAccessLogBucket(this.accessLogBucket);

    if (names.webAclName) {
      this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
        name: names.webAclName,
        description: 'ALB of the desktop backend: rate limit per IP, known bad inputs, AWS common rule set',
        scope: 'REGIONAL',
        defaultAction: { allow: {} },
        rules: webAclRules(rateLimitPerFiveMinutes),
        visibilityConfig: webAclVisibility(names.webAclName),
      });
      if (props.loadBalancerControllerRole) this.allowWebAclLookup(props.loadBalancerControllerRole);
    }
  }

  /** The load balancer controller finds the web ACL the Ingress names (wafv2-acl-name) with wafv2:ListWebACLs. */
  allowWebAclLookup(loadBalancerControllerRole: iam.IRole): void {
    if (!this.webAcl) return;
    loadBalancerControllerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'FindWebAclByName', actions: ['wafv2:ListWebACLs'], resources: ['*'] }),
    );
  }
}
