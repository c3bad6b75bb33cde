import * as wafv2 from 'aws-cdk-lib/aws-wafv2';

const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
  cloudWatchMetricsEnabled: true,
  metricName,
  sampledRequestsEnabled: true,
});

/**
 * Rules of the ALB's web ACL, in evaluation order. Tuned for this API: the common rule set's 8 KB body-size rule
 * only counts (the server accepts JSON bodies up to HTTP_BODY_LIMIT_BYTES, 100 KiB by default, and answers 413
 * above it; the ALB passes WAF only the first 8 KB), and so does its no-User-Agent rule (desktop WebSocket clients
 * need not send one). A WebSocket upgrade is a GET without a body, which no other rule of these sets blocks.
 */
export function webAclRules(rateLimitPerFiveMinutes: number): wafv2.CfnWebACL.RuleProperty[] {
  return [
    {
      name: 'RateLimitPerClientIp',
      priority: 0,
      action: { block: {} },
      statement: {
        rateBasedStatement: { limit: rateLimitPerFiveMinutes, aggregateKeyType: 'IP', evaluationWindowSec: 300 },
      },
      visibilityConfig: visibility('RateLimitPerClientIp'),
    },
    {
      name: 'AWSManagedRulesKnownBadInputsRuleSet',
      priority: 1,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesKnownBadInputsRuleSet' } },
      visibilityConfig: visibility('KnownBadInputs'),
    },
    {
      name: 'AWSManagedRulesCommonRuleSet',
      priority: 2,
      overrideAction: { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: 'AWS',
          name: 'AWSManagedRulesCommonRuleSet',
          ruleActionOverrides: [
            { name: 'SizeRestrictions_BODY', actionToUse: { count: {} } },
            { name: 'NoUserAgent_HEADER', actionToUse: { count: {} } },
          ],
        },
      },
      visibilityConfig: visibility('CommonRuleSet'),
    },
  ];
}

export { visibility as webAclVisibility };
