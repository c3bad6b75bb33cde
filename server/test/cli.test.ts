/** The commands operators run: user:create, migrate, and the server refusing a bad environment. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserRepository } from '../src/auth/index.js';
import { readMigrations } from '../src/db/index.js';
import { createEmptyDatabase, createTestDatabase, dropDatabase, type TestDatabase } from './support/database.js';
import { repositoryRoot, TEST_BCRYPT_ROUNDS } from './support/server.js';

function run(script: string, args: string[], env: Record<string, string>, stdin = '') {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: repositoryRoot,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stdin.end(stdin);
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    child.on('close', (code) => {
      resolve({ code, output });
    });
  });
}

describe('npm run user:create', () => {
  let db: TestDatabase;
  let users: UserRepository;
  before(async () => {
    db = await createTestDatabase();
    users = new UserRepository(db.pool, { bcryptRounds: Number(TEST_BCRYPT_ROUNDS) });
  });
  after(() => db.drop());
  const env = () => ({ ...db.env, BCRYPT_ROUNDS: TEST_BCRYPT_ROUNDS });

  it('creates an admin with the password from NEW_USER_PASSWORD', async () => {
    const result = await run('server/src/cli/user-create.ts', ['--username', 'Ops', '--role', 'admin'], {
      ...env(),
      NEW_USER_PASSWORD: 'ops-password-1',
    });
    assert.equal(result.code, 0, result.output);
    assert.ok(!result.output.includes('ops-password-1'));
    const user = await users.verifyCredentials('ops', 'ops-password-1');
    assert.equal(user?.role, 'admin');
  });

  it('reads the password from standard input when NEW_USER_PASSWORD is not set', async () => {
    const result = await run('server/src/cli/user-create.ts', ['--username', 'piped'], env(), 'piped-password-1\n');
    assert.equal(result.code, 0, result.output);
    assert.equal((await users.verifyCredentials('piped', 'piped-password-1'))?.role, 'user');
  });

  it('fails with a message for a password over 72 bytes, a taken name, a bad role or no username', async () => {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['--username', 'long'], { NEW_USER_PASSWORD: 'x'.repeat(73) }, /at most 72 bytes/],
      [['--username', 'ops'], { NEW_USER_PASSWORD: 'another-password' }, /taken/],
      [
        ['--username', 'x1', '--role', 'root'],
        { NEW_USER_PASSWORD: 'another-password' },
        /--role must be admin or user/,
      ],
      [[], { NEW_USER_PASSWORD: 'another-password' }, /usage/],
    ];
    for (const [args, extra, message] of cases) {
      const result = await run('server/src/cli/user-create.ts', args, { ...env(), ...extra });
      assert.equal(result.code, 1, `${args.join(' ')}: ${result.output}`);
      assert.match(result.output, message);
    }
  });
});

describe('npm run migrate', () => {
  it('applies every migration once and reports nothing to do the second time', async () => {
    const { name, env } = await createEmptyDatabase();
    try {
      const first = await run('server/src/cli/migrate.ts', [], env);
      assert.equal(first.code, 0, first.output);
      assert.match(first.output, new RegExp(`${readMigrations().length} applied`));
      const second = await run('server/src/cli/migrate.ts', [], env);
      assert.match(second.output, /0 applied/);
    } finally {
      await dropDatabase(name);
    }
  });
});

describe('server start with a bad environment', () => {
  it('exits 1 naming each bad variable', async () => {
    const result = await run('server/src/main.ts', [], {
      DB_HOST: '127.0.0.1',
      DB_USER: 'app',
      JWT_SECRET: 'too-short',
      PORT: 'eighty',
    });
    assert.equal(result.code, 1);
    assert.match(result.output, /JWT_SECRET: must be at least 32 bytes/);
    assert.match(result.output, /PORT: must be a whole number/);
  });
});

describe('npm run dev', () => {
  let db: TestDatabase;
  const devDir = mkdtempSync(join(tmpdir(), 'dev-state-'));
  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await db.drop();
    rmSync(devDir, { recursive: true, force: true });
  });

  it('stops the server cleanly on a SIGTERM sent to npm, not only on Ctrl-C', async () => {
    // npm runs the script through sh, which dies on SIGTERM without passing it on unless the script execs tsx.
    const npm = spawn('npm', ['run', 'dev'], {
      cwd: repositoryRoot,
      detached: true,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        ...db.env,
        PORT: '0',
        METRICS_PORT: '0',
        JWT_SECRET: 'dev-test-secret-that-is-long-enough-0123456789',
        DEV_ADMIN_PASSWORD: 'dev-admin-password',
        BCRYPT_ROUNDS: TEST_BCRYPT_ROUNDS,
        DEV_DIR: devDir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    npm.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = once(npm, 'exit');
    try {
      let port: string | undefined;
      for (let attempt = 0; attempt < 300 && port === undefined && npm.exitCode === null; attempt += 1) {
        port = /"port":(\d+),"metricsPort".*API HTTP server running/.exec(output)?.[1];
        if (port === undefined) await sleep(100);
      }
      assert.ok(port, `npm run dev did not start:\n${output}`);
      assert.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 200);
      npm.kill('SIGTERM');
      await exited;
      let serving = true;
      for (let attempt = 0; attempt < 50 && serving; attempt += 1) {
        serving = await fetch(`http://127.0.0.1:${port}/health`).then(
          () => true,
          () => false,
        );
        if (serving) await sleep(100);
      }
      assert.equal(serving, false, 'the server still answers after npm got SIGTERM');
      assert.match(output, /"msg":"Shutdown complete"/);
    } finally {
      // Whatever is left of the process group (the orphaned server when the signal was not passed on).
      try {
        process.kill(-(npm.pid ?? 0), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
});
