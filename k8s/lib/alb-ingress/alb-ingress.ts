import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { components, labelKeys } from '../labels.js';
import { syncWave, syncWaves } from '../sync-waves.js';
import { validate } from '../validation.js';
import type { ServerContract } from '../../../platform/server-contract.js';
import type { AlbIngressProps } from './alb-ingress-props.js';

/** Annotation keys of the AWS Load Balancer Controller (docs: guide/ingress/annotations). */
export const albAnnotations = {
  scheme: 'alb.ingress.kubernetes.io/scheme',
  targetType: 'alb.ingress.kubernetes.io/target-type',
  listenPorts: 'alb.ingress.kubernetes.io/listen-ports',
  sslRedirect: 'alb.ingress.kubernetes.io/ssl-redirect',
  sslPolicy: 'alb.ingress.kubernetes.io/ssl-policy',
  loadBalancerName: 'alb.ingress.kubernetes.io/load-balancer-name',
  loadBalancerAttributes: 'alb.ingress.kubernetes.io/load-balancer-attributes',
  targetGroupAttributes: 'alb.ingress.kubernetes.io/target-group-attributes',
  healthcheckPath: 'alb.ingress.kubernetes.io/healthcheck-path',
  healthcheckPort: 'alb.ingress.kubernetes.io/healthcheck-port',
  healthcheckIntervalSeconds: 'alb.ingress.kubernetes.io/healthcheck-interval-seconds',
  healthcheckTimeoutSeconds: 'alb.ingress.kubernetes.io/healthcheck-timeout-seconds',
  healthyThresholdCount: 'alb.ingress.kubernetes.io/healthy-threshold-count',
  unhealthyThresholdCount: 'alb.ingress.kubernetes.io/unhealthy-threshold-count',
  successCodes: 'alb.ingress.kubernetes.io/success-codes',
  tags: 'alb.ingress.kubernetes.io/tags',
  /** A regional WAFv2 web ACL by name (the controller looks it up with wafv2:ListWebACLs). */
  wafv2AclName: 'alb.ingress.kubernetes.io/wafv2-acl-name',
} as const;

/** The action annotation the controller reads for a rule whose backend port is `use-annotation`. */
export function albActionAnnotation(serviceName: string): string {
  return `alb.ingress.kubernetes.io/actions.${serviceName}`;
}

/**
 * The weighted forward Argo Rollouts writes when no canary runs (its ALBAction JSON, same field order), so the
 * rendered value and the controller's steady state agree.
 */
export function stableForwardAction(canary: { stableService: string; canaryService: string }, port: number): string {
  return JSON.stringify({
    Type: 'forward',
    ForwardConfig: {
      TargetGroups: [
        { ServiceName: canary.canaryService, ServicePort: String(port), Weight: 0 },
        { ServiceName: canary.stableService, ServicePort: String(port), Weight: 100 },
      ],
    },
  });
}

/**
 * How long the ALB keeps a deregistering target draining. The pod is deregistered when it starts terminating; it
 * then sleeps preStopSleepSeconds, and the server drains and force-closes everything by SHUTDOWN_FORCE_MS after
 * SIGTERM. The ALB must not cut connections earlier than that, so the delay covers preStop + force.
 */
export function deregistrationDelaySeconds(contract: ServerContract): number {
  return contract.preStopSleepSeconds + Math.ceil(contract.shutdownForceMs / 1000);
}

/**
 * Target health checks, explicit rather than the controller's defaults (15 s interval): a new pod's readiness gate
 * turns true after `healthyThreshold` passing checks, so the interval sets the pace of every rollout step; a dead
 * target leaves after `unhealthyThreshold` failed ones. The timeout stays below the interval (an ELB rule).
 */
export const defaultHealthCheck = {
  intervalSeconds: 10,
  timeoutSeconds: 5,
  healthyThreshold: 2,
  unhealthyThreshold: 2,
};

function stringMap(entries: Readonly<Record<string, string | number>>): string {
  return Object.entries(entries)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

/** Refuses names, hosts and health checks that the load balancer controller or the ELB API would reject. */
function validateProps(id: string, props: AlbIngressProps): void {
  const healthCheck = props.healthCheck;
  validate(`AlbIngress "${id}"`)
    .dnsLabel('name', props.name)
    .check(
      /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?$/.test(props.loadBalancerName),
      'loadBalancerName',
      `must be 1 to 32 letters, digits or '-', not starting or ending with '-' (got "${props.loadBalancerName}")`,
    )
    .check(
      /^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,}$/.test(props.host),
      'host',
      `must be a fully qualified lower-case DNS name (got "${props.host}")`,
    )
    .port('servicePort', props.servicePort)
    .integer('healthCheck.intervalSeconds', healthCheck?.intervalSeconds, 5, 300)
    .integer('healthCheck.timeoutSeconds', healthCheck?.timeoutSeconds, 2, 120)
    .check(
      healthCheck === undefined || healthCheck.timeoutSeconds < healthCheck.intervalSeconds,
      'healthCheck.timeoutSeconds',
      'must be below healthCheck.intervalSeconds',
    )
    .integer('healthCheck.healthyThreshold', healthCheck?.healthyThreshold, 2, 10)
    .integer('healthCheck.unhealthyThreshold', healthCheck?.unhealthyThreshold, 2, 10)
    .done();
}

/**
 * Internet-facing ALB for one host: IP targets (pods registered directly, so readiness gates apply), HTTP redirected
 * to HTTPS, certificate discovered in ACM from the TLS host, WebSocket-friendly idle timeout.
 */
export class AlbIngress extends Construct {
  readonly ingress: kplus.Ingress;

  constructor(scope: Construct, id: string, props: AlbIngressProps) {
    validateProps(id, props);
    super(scope, id);
    const { contract } = props;
    const healthCheck = props.healthCheck ?? defaultHealthCheck;
    const annotations: Record<string, string> = {
      ...syncWave(syncWaves.traffic),
      [albAnnotations.scheme]: 'internet-facing',
      [albAnnotations.targetType]: 'ip',
      [albAnnotations.listenPorts]: JSON.stringify([{ HTTP: 80 }, { HTTPS: 443 }]),
      [albAnnotations.sslRedirect]: '443',
      [albAnnotations.sslPolicy]: props.sslPolicy ?? 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      [albAnnotations.loadBalancerName]: props.loadBalancerName,
      // Above the server's heartbeat, so an idle WebSocket is never cut by the ALB.
      [albAnnotations.loadBalancerAttributes]: stringMap({
        'idle_timeout.timeout_seconds': contract.loadBalancerIdleTimeoutSeconds,
        'routing.http.drop_invalid_header_fields.enabled': 'true',
        ...(props.deletionProtection ? { 'deletion_protection.enabled': 'true' } : {}),
        ...(props.edge
          ? {
              'access_logs.s3.enabled': 'true',
              'access_logs.s3.bucket': props.edge.accessLogs.bucket,
              'access_logs.s3.prefix': props.edge.accessLogs.prefix,
            }
          : {}),
      }),
      [albAnnotations.targetGroupAttributes]: stringMap({
        'deregistration_delay.timeout_seconds': deregistrationDelaySeconds(contract),
      }),
      // Liveness, which never touches the DB: a database hiccup must not empty the target group. /ready already
      // takes a pod out through the Service endpoints, which the controller deregisters.
      [albAnnotations.healthcheckPath]: contract.paths.liveness,
      [albAnnotations.healthcheckPort]: 'traffic-port',
      [albAnnotations.healthcheckIntervalSeconds]: String(healthCheck.intervalSeconds),
      [albAnnotations.healthcheckTimeoutSeconds]: String(healthCheck.timeoutSeconds),
      [albAnnotations.healthyThresholdCount]: String(healthCheck.healthyThreshold),
      [albAnnotations.unhealthyThresholdCount]: String(healthCheck.unhealthyThreshold),
      [albAnnotations.successCodes]: '200',
    };
    if (props.tags) annotations[albAnnotations.tags] = stringMap(props.tags);
    if (props.edge?.webAclName) annotations[albAnnotations.wafv2AclName] = props.edge.webAclName;
    if (props.canary) {
      annotations[albActionAnnotation(props.service.name)] = stableForwardAction(props.canary, props.servicePort);
    }

    this.ingress = new kplus.Ingress(this, 'ingress', {
      metadata: { name: props.name, labels: { [labelKeys.component]: components.server }, annotations },
      className: 'alb',
      // No secret: the controller finds the ACM certificate whose name matches the host.
      tls: [{ hosts: [props.host] }],
      rules: [
        {
          host: props.host,
          path: '/',
          pathType: kplus.HttpIngressPathType.PREFIX,
          backend: kplus.IngressBackend.fromService(props.service, { port: props.servicePort }),
        },
      ],
    });
    if (props.canary) {
      // The controller then reads the action annotation named after the Service instead of its endpoints.
      ApiObject.of(this.ingress).addJsonPatch(
        JsonPatch.replace('/spec/rules/0/http/paths/0/backend/service/port', { name: 'use-annotation' }),
      );
    }
  }
}
