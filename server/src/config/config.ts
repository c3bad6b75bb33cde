/**
 * The server's configuration: one zod schema per entry point reads the environment into the shape the code uses, and
 * the types are derived from the schemas. A bad environment stops the process with every bad variable named.
 */
import { z } from 'zod';
import { serverContract } from '../../../platform/server-contract.js';
import { service } from '../../../platform/service.js';
import {
  BCRYPT_ROUNDS_MIN_PRODUCTION,
  authVariables,
  bcryptVariables,
  databaseVariables,
  desktopVariables,
  httpVariables,
  redisVariables,
  serverVariables,
} from './variables.js';

const JWT_SECRET_MIN_BYTES = 32;
/** The only NODE_ENV values under which AUTH_REQUIRED=false is accepted (never production, staging, ...). */
const AUTH_OPTIONAL_ENVIRONMENTS: readonly string[] = ['development', 'test'];

type Problem = { variable: string; message: string };

/** Thrown by the loaders; the message names every bad variable, one per line. */
export class ConfigError extends Error {
  readonly variables: string[];
  constructor(problems: Problem[]) {
    super(
      `Invalid configuration:\n${problems.map((problem) => `  - ${problem.variable}: ${problem.message}`).join('\n')}`,
    );
    this.name = 'ConfigError';
    this.variables = [...new Set(problems.map((problem) => problem.variable))];
  }
}

const databaseEnv = z.object(databaseVariables);

function toDatabaseConfig(env: z.output<typeof databaseEnv>) {
  return {
    host: env.DB_HOST,
    port: env.DB_PORT,
    user: env.DB_USER,
    password: env.DB_PASSWORD,
    database: env.DB_NAME,
    poolSize: env.DB_POOL_SIZE,
    /** At most this many callers wait for a busy pool's connection; beyond it they fail at once. */
    queueLimit: env.DB_QUEUE_LIMIT,
    connectTimeoutMs: env.DB_CONNECT_TIMEOUT_MS,
    /** /ready gives the DB this long to answer a ping. */
    readyTimeoutMs: env.DB_READY_TIMEOUT_MS,
    acquireTimeoutMs: env.DB_ACQUIRE_TIMEOUT_MS,
    queryTimeoutMs: env.DB_QUERY_TIMEOUT_MS,
    /** TLS to the database: verified against `caFile`, else the RDS CA bundle; undefined = plaintext (dev only). */
    tls: env.DB_TLS === 'off' ? undefined : { caFile: env.DB_TLS_CA_FILE },
  };
}

/** DB_TLS=off is refused in production, whichever entry point reads the DB_* variables. */
function databaseChecks(env: Record<string, string>): Problem[] {
  if (env.DB_TLS !== 'off' || env.NODE_ENV !== 'production') return [];
  return [{ variable: 'DB_TLS', message: 'off is for local development only: refused when NODE_ENV=production' }];
}

const databaseSchema = databaseEnv.transform(toDatabaseConfig);
const userToolSchema = z
  .object({ ...databaseVariables, ...bcryptVariables })
  .transform((env) => ({ db: toDatabaseConfig(env), bcryptRounds: env.BCRYPT_ROUNDS }));

const allVariables = {
  ...databaseVariables,
  ...bcryptVariables,
  ...serverVariables,
  ...authVariables,
  ...httpVariables,
  ...desktopVariables,
  ...redisVariables,
};

const configSchema = z.object(allVariables).transform((env) => ({
  nodeEnv: env.NODE_ENV,
  port: env.PORT,
  metricsPort: env.METRICS_PORT,
  logLevel: env.LOG_LEVEL,
  db: toDatabaseConfig(env),
  auth: {
    required: env.AUTH_REQUIRED,
    // Without JWT_SECRET (accepted only with AUTH_REQUIRED=false in development), a random per-process secret.
    jwtSecret: env.JWT_SECRET ?? crypto.getRandomValues(Buffer.alloc(48)).toString('base64url'),
    jwtExpiresInSeconds: env.JWT_EXPIRES_IN,
    jwtIssuer: env.JWT_ISSUER,
    bcryptRounds: env.BCRYPT_ROUNDS,
    bcryptWorkers: env.BCRYPT_WORKERS,
    /** Another replica's disable or password change reaches this one's token checks within this bound. */
    userCacheTtlMs: env.USER_CACHE_TTL_MS,
    audiences: { api: `${service.name}:api`, desktop: `${service.name}:desktop` },
    /** Login throttle: failed-or-not attempts per window, per account and per client IP. */
    loginThrottle: {
      windowSeconds: env.LOGIN_THROTTLE_WINDOW_SECONDS,
      maxPerAccount: env.LOGIN_MAX_ATTEMPTS_PER_ACCOUNT,
      maxPerIp: env.LOGIN_MAX_ATTEMPTS_PER_IP,
    },
  },
  http: {
    useHelmet: env.USE_HELMET,
    corsOrigins: env.CORS_ORIGINS,
    bodyLimit: env.HTTP_BODY_LIMIT_BYTES,
    keepAliveTimeoutMs: serverContract.keepAliveTimeoutMs,
    headersTimeoutMs: serverContract.keepAliveTimeoutMs + 1000,
    /** Proxies in front of the server whose X-Forwarded-For is trusted (1 = the ALB). */
    trustProxyHops: env.TRUST_PROXY_HOPS,
  },
  /** Wake-ups between replicas; MySQL stays the source of truth and polling the fallback. */
  redis: { url: env.REDIS_URL },
  shutdown: { graceMs: env.SHUTDOWN_GRACE_MS, forceMs: env.SHUTDOWN_FORCE_MS },
  desktop: {
    heartbeatMs: env.WS_HEARTBEAT_MS,
    maxPayloadBytes: env.WS_MAX_PAYLOAD_BYTES,
    maxMessagesPer10s: env.WS_MAX_MESSAGES_PER_10S,
    maxBufferedBytes: env.WS_MAX_BUFFERED_BYTES,
    tokenExpiresInSeconds: env.DESKTOP_TOKEN_EXPIRES_IN,
    authCodeTtlSeconds: env.DESKTOP_AUTHCODE_TTL_SECONDS,
    eventRetentionHours: env.DESKTOP_EVENT_RETENTION_HOURS,
    eventPollMs: env.DESKTOP_EVENT_POLL_MS,
    maxEventsPerMinute: env.DESKTOP_MAX_EVENTS_PER_MINUTE,
    maxSockets: env.DESKTOP_MAX_SOCKETS,
    maxSocketsPerAddress: env.DESKTOP_MAX_SOCKETS_PER_IP,
    maxSocketsPerUser: env.DESKTOP_MAX_SOCKETS_PER_USER,
    maxResumesPerMinute: env.DESKTOP_MAX_RESUMES_PER_MINUTE,
    maxReplayEvents: env.DESKTOP_MAX_REPLAY_EVENTS,
    maxReplaysPerUserPerMinute: env.DESKTOP_MAX_REPLAYS_PER_USER_PER_MINUTE,
  },
}));

export type Config = z.output<typeof configSchema>;
export type DatabaseConfig = Config['db'];
export type AuthConfig = Config['auth'];
export type LogLevel = Config['logLevel'];

/** A variable's parsed value if it is valid on its own, else undefined (its own problem is reported already). */
function valueOf<K extends keyof typeof allVariables>(env: Record<string, string>, name: K) {
  const result = allVariables[name].safeParse(env[name]);
  return result.success ? (result.data as z.output<(typeof allVariables)[K]>) : undefined;
}

/** Rules between variables; checked even when other variables are bad, so one run names every problem. */
function crossChecks(env: Record<string, string>): Problem[] {
  const problems: Problem[] = databaseChecks(env);
  const nodeEnv = valueOf(env, 'NODE_ENV');
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
  } else if (authRequired === false && !AUTH_OPTIONAL_ENVIRONMENTS.includes(nodeEnv ?? '')) {
    problems.push({
      variable: 'AUTH_REQUIRED',
      message: `false is for local development only: refused unless NODE_ENV is ${AUTH_OPTIONAL_ENVIRONMENTS.join(' or ')}`,
    });
  }
  const rounds = valueOf(env, 'BCRYPT_ROUNDS');
  if (nodeEnv === 'production' && rounds !== undefined && rounds < BCRYPT_ROUNDS_MIN_PRODUCTION) {
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
  checks: (env: Record<string, string>) => Problem[] = () => [],
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

/** Only the DB_* variables: what `npm run migrate` needs (the migration Job has no JWT secret). */
export function loadDatabaseConfig(env: NodeJS.ProcessEnv): DatabaseConfig {
  return parse(databaseSchema, env, databaseChecks);
}

/** DB_* and BCRYPT_ROUNDS: what `npm run user:create` needs. */
export function loadUserToolConfig(env: NodeJS.ProcessEnv): z.output<typeof userToolSchema> {
  return parse(userToolSchema, env, databaseChecks);
}

/** Reads and validates the whole environment. Throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  return parse(configSchema, env, crossChecks);
}
