import { ConfigError, loadConfig, loadDatabaseConfig } from '../../server/src/config/index.js';

/**
 * Values that stand in for the Secret's keys at render time (the real ones exist only in Secrets Manager): each one
 * valid for the server's schema, so only the plain values rendered into the manifests are judged.
 */
const secretStandIns: Readonly<Record<string, string>> = {
  DB_HOST: 'database.internal',
  DB_PORT: '3306',
  DB_USER: 'stand-in',
  DB_PASSWORD: 'stand-in',
  JWT_SECRET: 'stand-in-signing-key-of-at-least-32-bytes',
  REDIS_URL: 'rediss://stand-in:stand-in@cache.internal:6379',
};

function check(what: string, plain: Readonly<Record<string, string>>, load: (env: NodeJS.ProcessEnv) => unknown) {
  try {
    load({ ...secretStandIns, ...plain });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new Error(
      `${what}: the server would refuse the settings rendered for it (its own config schema, server/src/config):\n` +
        error.message.split('\n').slice(1).join('\n'),
      { cause: error },
    );
  }
}

/**
 * Fails the render when the server's own configuration schema refuses a plain setting the manifests give it, naming
 * the variable, instead of a pod that exits at start in the cluster.
 */
export function checkServerSettings(what: string, plain: Readonly<Record<string, string>>): void {
  check(what, plain, loadConfig);
}

/** The same for what the migration Job runs: only the DB_* variables `npm run migrate` reads. */
export function checkDatabaseSettings(what: string, plain: Readonly<Record<string, string>>): void {
  check(what, plain, loadDatabaseConfig);
}
