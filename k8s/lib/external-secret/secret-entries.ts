import { externalSecrets } from '../../../platform/environments.js';
import type { Environment, EnvironmentSecrets } from '../../../platform/environments.js';
import type { SecretEntry } from './external-secret-props.js';

/** The database secrets (RDS's standard keys): the master user, the application user, the migration user. */
export type DatabaseSecret = keyof Pick<EnvironmentSecrets, 'database' | 'databaseApp' | 'databaseMigrator'>;

/** Environment variable → key of a database secret. The server and `npm run migrate` read DB_HOST ... DB_PASSWORD. */
export const databaseVariables = {
  DB_HOST: externalSecrets.databaseKeys.host,
  DB_PORT: externalSecrets.databaseKeys.port,
  DB_USER: externalSecrets.databaseKeys.username,
  DB_PASSWORD: externalSecrets.databaseKeys.password,
} as const;

function entries(remoteKey: string, variables: Readonly<Record<string, string>>): SecretEntry[] {
  return Object.entries(variables).map(([secretKey, property]) => ({ secretKey, remoteKey, property }));
}

/** One database secret as Secret keys, by default the DB_* variables. */
export function databaseEntries(
  env: Environment,
  secret: DatabaseSecret,
  variables: Readonly<Record<string, string>> = databaseVariables,
): SecretEntry[] {
  return entries(env.secrets[secret], variables);
}

export function jwtEntries(env: Environment): SecretEntry[] {
  return entries(env.secrets.jwt, { JWT_SECRET: externalSecrets.jwtKeys.signingKey });
}

/** The Redis (ElastiCache Serverless Valkey) credentials, as Secret keys the REDIS_URL template reads. */
export function redisEntries(env: Environment): SecretEntry[] {
  const keys = externalSecrets.redisKeys;
  return entries(env.secrets.redis, {
    redis_host: keys.host,
    redis_port: keys.port,
    redis_username: keys.username,
    redis_password: keys.password,
  });
}

/**
 * REDIS_URL, built by ESO from the redis secret's keys: `rediss://` (ElastiCache Serverless requires TLS), the
 * credentials URL-escaped so a password with `@` or `/` cannot break the URL.
 */
export const redisUrlTemplate = {
  REDIS_URL:
    'rediss://{{ .redis_username | urlquery }}:{{ .redis_password | urlquery }}@{{ .redis_host }}:{{ .redis_port }}',
} as const;
