/**
 * `npm run db:provision-users`: with the master credentials (DB_USER, DB_PASSWORD), creates or updates the application
 * user (DB_APP_USER, DML only) and the migration user (DB_MIGRATOR_USER, DDL) on DB_NAME. Passwords come from the
 * environment (DB_PASSWORD, DB_APP_PASSWORD, DB_MIGRATOR_PASSWORD) or, for any of them that is unset, from standard
 * input as `NAME=value` lines; never from the command line, where `ps` would show them.
 */
import { createInterface } from 'node:readline';
import { ConfigError, loadDatabaseConfig } from '../config/index.js';
import { provisionProblems, provisionUsers } from '../db/provision-users.js';

const PASSWORD_VARIABLES = ['DB_PASSWORD', 'DB_APP_PASSWORD', 'DB_MIGRATOR_PASSWORD'] as const;

/** The environment, with unset password variables filled from `NAME=value` lines on standard input. */
async function withPasswordsFromStdin(env: NodeJS.ProcessEnv): Promise<NodeJS.ProcessEnv> {
  const missing = PASSWORD_VARIABLES.filter((name) => !env[name]);
  if (missing.length === 0 || process.stdin.isTTY) return env;
  const filled = { ...env };
  const lines = createInterface({ input: process.stdin, terminal: false });
  for await (const line of lines) {
    const separator = line.indexOf('=');
    const name = line.slice(0, separator);
    if (separator > 0 && (missing as readonly string[]).includes(name)) filled[name] = line.slice(separator + 1);
  }
  return filled;
}

function required(env: NodeJS.ProcessEnv, name: string, problems: { variable: string; message: string }[]): string {
  const value = env[name];
  if (!value) problems.push({ variable: name, message: 'is required (environment, or NAME=value on standard input)' });
  return value ?? '';
}

try {
  const env = await withPasswordsFromStdin(process.env);
  const problems: { variable: string; message: string }[] = [];
  const application = {
    username: required(env, 'DB_APP_USER', problems),
    password: required(env, 'DB_APP_PASSWORD', problems),
  };
  const migrator = {
    username: required(env, 'DB_MIGRATOR_USER', problems),
    password: required(env, 'DB_MIGRATOR_PASSWORD', problems),
  };
  const master = loadDatabaseConfig(env);
  const request = {
    master,
    application,
    migrator,
    userHost: env.DB_USERS_HOST ?? '%',
    requireTls: master.tls !== undefined,
  };
  // One run names every problem: a variable already reported as missing is not reported again as too short.
  const missing = new Set(problems.map((problem) => problem.variable));
  problems.push(...provisionProblems(request).filter((problem) => !missing.has(problem.variable)));
  if (problems.length > 0) throw new ConfigError(problems);
  const result = await provisionUsers(request);
  console.log(JSON.stringify({ provisioned: result }));
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `Provisioning failed: ${String(error)}`);
  process.exit(1);
}
