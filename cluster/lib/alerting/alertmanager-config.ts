import type { AlertRouting } from './alerting-props.js';

export interface AlertmanagerConfigInput extends AlertRouting {
  /** The SNS topic's ARN (a CloudFormation token in the stack, a literal in tests). */
  readonly topicArn: string;
  /** The topic's region: Alertmanager signs its requests (SigV4) with the pod's EKS Pod Identity credentials. */
  readonly region: string;
  /** Named in every notification's subject, so one inbox can serve several environments. */
  readonly environmentName: string;
}

/** The receiver that publishes to SNS; `null` drops (the always-firing Watchdog, InfoInhibitor, low severities). */
export const snsReceiver = 'sns';

const severitiesFrom: Readonly<Record<AlertRouting['minimumSeverity'], string>> = {
  critical: 'critical',
  warning: 'critical|warning',
};

/**
 * kube-prometheus-stack's `alertmanager.config`: the chart's inhibition rules, Watchdog and InfoInhibitor to
 * `null`, and every alert at or above `minimumSeverity` to the environment's SNS topic through `sns_configs` with
 * SigV4. What an operator runs through `amtool check-config`, and what a real Alertmanager loads in the e2e tests.
 */
export function alertmanagerConfig(input: AlertmanagerConfigInput): Record<string, unknown> {
  return {
    global: { resolve_timeout: '5m' },
    inhibit_rules: [
      {
        source_matchers: ['severity = critical'],
        target_matchers: ['severity =~ warning|info'],
        equal: ['namespace', 'alertname'],
      },
      {
        source_matchers: ['severity = warning'],
        target_matchers: ['severity = info'],
        equal: ['namespace', 'alertname'],
      },
      { source_matchers: ['alertname = InfoInhibitor'], target_matchers: ['severity = info'], equal: ['namespace'] },
      { target_matchers: ['alertname = InfoInhibitor'] },
    ],
    route: {
      receiver: 'null',
      group_by: ['namespace', 'alertname'],
      group_wait: '30s',
      group_interval: '5m',
      repeat_interval: input.repeatInterval,
      routes: [
        { receiver: 'null', matchers: ['alertname =~ "Watchdog|InfoInhibitor"'] },
        { receiver: snsReceiver, matchers: [`severity =~ "${severitiesFrom[input.minimumSeverity]}"`] },
      ],
    },
    receivers: [
      { name: 'null' },
      {
        name: snsReceiver,
        sns_configs: [
          {
            topic_arn: input.topicArn,
            sigv4: { region: input.region },
            send_resolved: true,
            subject: `[${input.environmentName}] {{ .Status | toUpper }} {{ .CommonLabels.alertname }}`,
            message:
              '{{ range .Alerts }}{{ .Labels.severity }}: {{ .Annotations.summary }} ' +
              '({{ .Labels.namespace }}){{ "\\n" }}{{ end }}',
            attributes: { environment: input.environmentName },
          },
        ],
      },
    ],
    templates: ['/etc/alertmanager/config/*.tmpl'],
  };
}
