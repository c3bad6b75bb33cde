/** Who the environment's alert topic notifies (SNS subscriptions; each confirms once, by mail or by HTTPS). */
export type AlertSubscription =
  { readonly protocol: 'email'; readonly endpoint: string } | { readonly protocol: 'https'; readonly endpoint: string };

/** The lowest severity sent to the topic; anything lower goes nowhere. */
export type AlertSeverity = 'critical' | 'warning';

export interface AlertRouting {
  /** The lowest severity that notifies (production: warning; staging may page only on critical). */
  readonly minimumSeverity: AlertSeverity;
  /** How often a still-firing alert is sent again, an Alertmanager duration such as '4h'. */
  readonly repeatInterval: string;
}

export interface AlertTopicProps {
  /** SNS topic name. */
  readonly topicName: string;
  /** @default [] (subscribe later in the console; alerts still reach the topic) */
  readonly subscriptions?: readonly AlertSubscription[];
}
