import { z } from 'zod';
import { databaseName, service } from '../../../platform/environments.js';
import { serverContract } from '../../../platform/server-contract.js';
import { parseDurationSeconds } from './duration.js';

/** bcrypt cost bounds: below 10 is too cheap for production, above 15 blocks the event loop for seconds (bcryptjs). */
export const BCRYPT_ROUNDS_MIN = 4;
export const BCRYPT_ROUNDS_MIN_PRODUCTION = 10;
export const BCRYPT_ROUNDS_MAX = 15;
export const JWT_SECRET_MIN_BYTES = 32;
/** The only NODE_ENV values under which AUTH_REQUIRED=false is accepted (never production, staging, ...). */
export const AUTH_OPTIONAL_ENVIRONMENTS: readonly string[] = ['development', 'test'];

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface DatabaseConfig {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  poolSize: number;
  /** At most this many callers wait for a busy pool's connection; beyond it they fail at once. */
  queueLimit: number;
  connectTimeoutMs: number;
  /** /ready gives the DB this long to answer a ping. */
  readyTimeoutMs: number;
}

export interface AuthConfig {
  required: boolean;
  jwtSecret: string;
  /** A duration such as `8h`, `30m`, `3600` (seconds). */
  jwtExpiresIn: string;
  jwtIssuer: string;
  bcryptRounds: number;
  audiences: { api: string; desktop: string };
  /** Login throttle: failed-or-not attempts per window, per account and per client IP. */
  loginThrottle: { windowSeconds: number; maxPerAccount: number; maxPerIp: number };
}

export interface Config {
  nodeEnv: string;
  port: number;
  metricsPort: number;
  logLevel: LogLevel;
  db: DatabaseConfig;
  auth: AuthConfig;
  http: {
    useHelmet: boolean;
    corsOrigins: string[];
    bodyLimit: number;
    keepAliveTimeoutMs: number;
    headersTimeoutMs: number;
    /** Proxies in front of the server whose X-Forwarded-For is trusted (1 = the ALB). */
    trustProxyHops: number;
  };
  shutdown: { graceMs: number; forceMs: number };
  desktop: {
    heartbeatMs: number;
    maxPayloadBytes: number;
    maxMessagesPer10s: number;
    maxBufferedBytes: number;
    tokenExpiresIn: string;
    authCodeTtlSeconds: number;
    eventRetentionHours: number;
    eventPollMs: number;
  };
}

/** Thrown by the loaders; the message names every bad variable, one per line. */
export class ConfigError extends Error {
  readonly variables: string[];
  constructor(problems: { variable: string; message: string }[]) {
    super(
      `Invalid configuration:\n${problems.map((problem) => `  - ${problem.variable}: ${problem.message}`).join('\n')}`,
    );
    this.name = 'ConfigError';
    this.variables = [...new Set(problems.map((problem) => problem.variable))];
  }
}

/** Heartbeats at most half the ALB idle timeout apart: a late timer or a slow pong still leaves the socket busy. */
const HEARTBEAT_MAX_MS = (serverContract.loadBalancerIdleTimeoutSeconds * 1000) / 2;

const integer = (min: number, max: number, tooBig?: string) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max, tooBig));
const port = (fallback: number) => integer(0, 65_535).default(fallback);
const boolean = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
    .transform((value) => value === 'true' || value === '1')
    .default(fallback);
const duration = (fallback: string) =>
  z
    .string()
    .refine((value) => parseDurationSeconds(value) !== undefined, 'must be a duration such as 8h, 30m, 45s or 3600')
    .default(fallback);
const origin = z.string().refine((value) => {
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}, 'must be a comma-separated list of origins such as https://app.example.com (scheme, host, optional port)');

const databaseShape = {
  DB_HOST: z.string({ error: 'is required' }).min(1),
  DB_PORT: port(3306),
  DB_USER: z.string({ error: 'is required' }).min(1),
  DB_PASSWORD: z.string().default(''),
  DB_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_]{1,64}$/, 'must be 1-64 letters, digits or underscores')
    .default(databaseName),
  DB_POOL_SIZE: integer(1, 1000).default(10),
  DB_QUEUE_LIMIT: integer(0, 100_000).default(100),
  DB_CONNECT_TIMEOUT_MS: integer(100, 120_000).default(5000),
  DB_READY_TIMEOUT_MS: integer(50, 60_000).default(1000),
};

const bcryptShape = { BCRYPT_ROUNDS: integer(BCRYPT_ROUNDS_MIN, BCRYPT_ROUNDS_MAX).default(12) };

const fullShape = {
  ...databaseShape,
  ...bcryptShape,
  NODE_ENV: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be a lower-case word such as production or development')
    .default('development'),
  PORT: port(serverContract.httpPort),
  METRICS_PORT: port(serverContract.metricsPort),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
  AUTH_REQUIRED: boolean(true),
  JWT_SECRET: z.string().optional(),
  JWT_EXPIRES_IN: duration('8h'),
  JWT_ISSUER: z.string().min(1).max(200).default(service.name),
  LOGIN_THROTTLE_WINDOW_SECONDS: integer(1, 86_400).default(900),
  LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: integer(1, 100_000).default(10),
  LOGIN_MAX_ATTEMPTS_PER_IP: integer(1, 1_000_000).default(100),
  USE_HELMET: boolean(true),
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    )
    .pipe(z.array(origin)),
  HTTP_BODY_LIMIT_BYTES: integer(1024, 10 * 1024 * 1024).default(100 * 1024),
  TRUST_PROXY_HOPS: integer(0, 10).default(1),
  SHUTDOWN_GRACE_MS: integer(0, 600_000).default(serverContract.shutdownGraceMs),
  SHUTDOWN_FORCE_MS: integer(100, 600_000).default(serverContract.shutdownForceMs),
  WS_HEARTBEAT_MS: integer(
    1000,
    HEARTBEAT_MAX_MS,
    `must be at most ${HEARTBEAT_MAX_MS}, half the load balancer's idle timeout (${serverContract.loadBalancerIdleTimeoutSeconds} s), or the ALB may cut idle sockets`,
  ).default(serverContract.heartbeatMs),
  WS_MAX_PAYLOAD_BYTES: integer(1024, 16 * 1024 * 1024).default(65_536),
  WS_MAX_MESSAGES_PER_10S: integer(1, 100_000).default(100),
  WS_MAX_BUFFERED_BYTES: integer(1024, 1024 * 1024 * 1024).default(1_048_576),
  DESKTOP_TOKEN_EXPIRES_IN: duration('8h'),
  DESKTOP_AUTHCODE_TTL_SECONDS: integer(5, 600).default(60),
  DESKTOP_EVENT_RETENTION_HOURS: integer(1, 24 * 365).default(168),
  DESKTOP_EVENT_POLL_MS: integer(10, 60_000).default(200),
};

const fullSchema = z.object(fullShape);

/** A variable's parsed value if it is valid on its own, else undefined (its own problem is reported already). */
function valueOf<K extends keyof typeof fullShape>(env: Record<string, string>, name: K) {
  const result = fullShape[name].safeParse(env[name]);
  return result.success ? (result.data as z.output<(typeof fullShape)[K]>) : undefined;
}

/** Rules between variables; checked even when other variables are bad, so one run names every problem. */
function crossChecks(env: Record<string, string>): { variable: string; message: string }[] {
  const problems: { variable: string; message: string }[] = [];
  const production = valueOf(env, 'NODE_ENV') === 'production';
  const authRequired = valueOf(env, 'AUTH_REQUIRED');
  const secret = env.JWT_SECRET;
  if (authRequired === true) {
    if (secret === undefined) problems.push({ variable: 'JWT_SECRET', message: 'is required when AUTH_REQUIRED=true' });
    else if (Buffer.byteLength(secret, 'utf8') < JWT_SECRET_MIN_BYTES) {
      problems.push({
        variable: 'JWT_SECRET',
        message: `must be at least ${JWT_SECRET_MIN_BYTES} bytes when AUTH_REQUIRED=true`,
      });
    }
  } else if (authRequired === false && !AUTH_OPTIONAL_ENVIRONMENTS.includes(valueOf(env, 'NODE_ENV') ?? '')) {
    problems.push({
      variable: 'AUTH_REQUIRED',
      message: `false is for local development only: refused unless NODE_ENV is ${AUTH_OPTIONAL_ENVIRONMENTS.join(' or ')}`,
    });
  }
  const rounds = valueOf(env, 'BCRYPT_ROUNDS');
  if (production && rounds !== undefined && rounds < BCRYPT_ROUNDS_MIN_PRODUCTION) {
    problems.push({
      variable: 'BCRYPT_ROUNDS',
      message: `must be at least ${BCRYPT_ROUNDS_MIN_PRODUCTION} when NODE_ENV=production`,
    });
  }
  const port = valueOf(env, 'PORT');
  if (port !== undefined && port !== 0 && port === valueOf(env, 'METRICS_PORT')) {
    problems.push({ variable: 'METRICS_PORT', message: 'must differ from PORT' });
  }
  const graceMs = valueOf(env, 'SHUTDOWN_GRACE_MS');
  const forceMs = valueOf(env, 'SHUTDOWN_FORCE_MS');
  if (graceMs !== undefined && forceMs !== undefined && forceMs <= graceMs) {
    problems.push({ variable: 'SHUTDOWN_FORCE_MS', message: 'must be greater than SHUTDOWN_GRACE_MS' });
  }
  return problems;
}

/** Empty variables count as unset, so `FOO=` in a manifest means "use the default". */
function withoutEmpty(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''),
  );
}

function parse<T extends z.ZodType>(
  schema: T,
  env: NodeJS.ProcessEnv,
  checks: (env: Record<string, string>) => { variable: string; message: string }[] = () => [],
): z.output<T> {
  const present = withoutEmpty(env);
  const result = schema.safeParse(present);
  const problems = [
    ...(result.success
      ? []
      : result.error.issues.map((issue) => ({
          variable: typeof issue.path[0] === 'string' ? issue.path[0] : '(environment)',
          message: issue.message,
        }))),
    ...checks(present),
  ];
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return result.data;
}

type DatabaseEnv = z.output<z.ZodObject<typeof databaseShape>>;

function databaseConfig(env: DatabaseEnv): DatabaseConfig {
  return {
    host: env.DB_HOST,
    port: env.DB_PORT,
    user: env.DB_USER,
    password: env.DB_PASSWORD,
    database: env.DB_NAME,
    poolSize: env.DB_POOL_SIZE,
    queueLimit: env.DB_QUEUE_LIMIT,
    connectTimeoutMs: env.DB_CONNECT_TIMEOUT_MS,
    readyTimeoutMs: env.DB_READY_TIMEOUT_MS,
  };
}

/** Only the DB_* variables: what `npm run migrate` needs (the migration Job has no JWT secret). */
export function loadDatabaseConfig(env: NodeJS.ProcessEnv): DatabaseConfig {
  return databaseConfig(parse(z.object(databaseShape), env));
}

/** DB_* and BCRYPT_ROUNDS: what `npm run user:create` needs. */
export function loadUserToolConfig(env: NodeJS.ProcessEnv): { db: DatabaseConfig; bcryptRounds: number } {
  const parsed = parse(z.object({ ...databaseShape, ...bcryptShape }), env);
  return { db: databaseConfig(parsed), bcryptRounds: parsed.BCRYPT_ROUNDS };
}

/**
 * Reads and validates the whole environment. Throws a ConfigError naming every bad variable. Without JWT_SECRET and
 * with AUTH_REQUIRED=false (local development), a random per-process secret is used.
 */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const parsed = parse(fullSchema, env, crossChecks);
  return {
    nodeEnv: parsed.NODE_ENV,
    port: parsed.PORT,
    metricsPort: parsed.METRICS_PORT,
    logLevel: parsed.LOG_LEVEL,
    db: databaseConfig(parsed),
    auth: {
      required: parsed.AUTH_REQUIRED,
      jwtSecret: parsed.JWT_SECRET ?? crypto.getRandomValues(Buffer.alloc(48)).toString('base64url'),
      jwtExpiresIn: parsed.JWT_EXPIRES_IN,
      jwtIssuer: parsed.JWT_ISSUER,
      bcryptRounds: parsed.BCRYPT_ROUNDS,
      audiences: { api: `${service.name}:api`, desktop: `${service.name}:desktop` },
      loginThrottle: {
        windowSeconds: parsed.LOGIN_THROTTLE_WINDOW_SECONDS,
        maxPerAccount: parsed.LOGIN_MAX_ATTEMPTS_PER_ACCOUNT,
        maxPerIp: parsed.LOGIN_MAX_ATTEMPTS_PER_IP,
      },
    },
    http: {
      useHelmet: parsed.USE_HELMET,
      corsOrigins: parsed.CORS_ORIGINS,
      bodyLimit: parsed.HTTP_BODY_LIMIT_BYTES,
      keepAliveTimeoutMs: serverContract.keepAliveTimeoutMs,
      headersTimeoutMs: serverContract.keepAliveTimeoutMs + 1000,
      trustProxyHops: parsed.TRUST_PROXY_HOPS,
    },
    shutdown: { graceMs: parsed.SHUTDOWN_GRACE_MS, forceMs: parsed.SHUTDOWN_FORCE_MS },
    desktop: {
      heartbeatMs: parsed.WS_HEARTBEAT_MS,
      maxPayloadBytes: parsed.WS_MAX_PAYLOAD_BYTES,
      maxMessagesPer10s: parsed.WS_MAX_MESSAGES_PER_10S,
      maxBufferedBytes: parsed.WS_MAX_BUFFERED_BYTES,
      tokenExpiresIn: parsed.DESKTOP_TOKEN_EXPIRES_IN,
      authCodeTtlSeconds: parsed.DESKTOP_AUTHCODE_TTL_SECONDS,
      eventRetentionHours: parsed.DESKTOP_EVENT_RETENTION_HOURS,
      eventPollMs: parsed.DESKTOP_EVENT_POLL_MS,
    },
  };
}
