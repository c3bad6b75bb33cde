/**
 * `npm run user:create -- --username NAME --role admin|user`: creates a user (e.g. the first admin). The password
 * comes from NEW_USER_PASSWORD, or else from standard input (first line), never from the command line.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { roleSchema, UserRepository } from '../auth/index.js';
import { ConfigError, loadUserToolConfig } from '../config/index.js';
import { createPool } from '../db/index.js';
import { HttpError } from '../http/index.js';

/** The first line of standard input; from a terminal without echoing it, so the password never shows on screen. */
async function readPassword(): Promise<string> {
  const fromEnv = process.env.NEW_USER_PASSWORD;
  if (fromEnv) return fromEnv;
  if (process.stdin.isTTY) return readHiddenLine('Password: ');
  const lines = createInterface({ input: process.stdin, terminal: false });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  return '';
}

async function readHiddenLine(prompt: string): Promise<string> {
  process.stderr.write(prompt);
  process.stdin.setRawMode(true);
  process.stdin.setEncoding('utf8');
  let value = '';
  try {
    for await (const chunk of process.stdin as AsyncIterable<string>) {
      for (const char of chunk) {
        if (char === '\r' || char === '\n') return value;
        if (char === '\u0003') throw new HttpError(400, 'usage', 'interrupted');
        value = char === '\u007f' || char === '\b' ? value.slice(0, -1) : value + char;
      }
    }
    return value;
  } finally {
    process.stdin.setRawMode(false);
    process.stderr.write('\n');
  }
}

try {
  const { values } = parseArgs({
    options: { username: { type: 'string' }, role: { type: 'string', default: 'user' } },
    strict: true,
  });
  if (!values.username)
    throw new HttpError(400, 'usage', 'usage: npm run user:create -- --username NAME --role admin|user');
  const role = roleSchema.safeParse(values.role);
  if (!role.success) throw new HttpError(400, 'usage', '--role must be admin or user');
  const config = loadUserToolConfig(process.env);
  const password = await readPassword();
  const pool = createPool(config.db);
  try {
    const user = await new UserRepository(pool, { bcryptRounds: config.bcryptRounds }).create({
      username: values.username,
      password,
      role: role.data,
    });
    console.log(JSON.stringify({ created: { id: user.id, username: user.username, role: user.role } }));
  } finally {
    await pool.end();
  }
} catch (error) {
  console.error(error instanceof ConfigError || error instanceof HttpError ? error.message : error);
  process.exit(1);
}
