import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { AlertTopicProps } from './alerting-props.js';

/**
 * The SNS topic Alertmanager publishes an environment's alerts to, with the subscriptions from configuration. Encrypted
 * with the AWS-managed SNS key (publishers in the account need no KMS grant, so the publisher's role holds sns:Publish
 * and nothing else), TLS-only.
 */
export class AlertTopic extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: AlertTopicProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', {
      topicName: props.topicName,
      displayName: props.topicName,
      masterKey: kms.Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
      enforceSSL: true,
    });
    for (const subscription of props.subscriptions ?? []) {
      this.topic.addSubscription(
        subscription.protocol === 'email'
          ? new subscriptions.EmailSubscription(subscription.endpoint)
          : new subscriptions.UrlSubscription(subscription.endpoint, { protocol: sns.SubscriptionProtocol.HTTPS }),
      );
    }
  }
}
