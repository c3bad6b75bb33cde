/**
 * The database connection (issue 9 §7) on loopback: a private MariaDB with a CA and server certificate generated here
 * (openssl), TLS verified by the server against that CA, and the least-privilege users made by the provisioning CLI.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { ConfigError, loadConfig, loadDatabaseConfig } from '../src/config/index.js';
import { startEmbeddedServer, type EmbeddedServer } from '../src/db/embedded-server.js';
import { createPool, migrate } from '../src/db/index.js';
import { testServerEnv } from './support/database.js';
import { repositoryRoot, spawnServer, TEST_JWT_SECRET } from './support/server.js';

function openssl(args: string[], cwd: string): void {
  const result = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  assert.equal(result.status, 0, `openssl ${args.join(' ')}: ${result.stderr}`);
}

/** A CA and a certificate for 127.0.0.1/localhost signed by it, as PEM files named `<name>-ca.pem` etc. */
function makeCertificates(dir: string, name: string): void {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name} test CA`,
    '-keyout', `${name}-ca.key`, '-out', `${name}-ca.pem`], dir); // prettier-ignore
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost',
    '-keyout', `${name}-server.key`, '-out', `${name}-server.csr`], dir); // prettier-ignore
  writeFileSync(join(dir, `${name}.ext`), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl(['x509', '-req', '-in', `${name}-server.csr`, '-CA', `${name}-ca.pem`, '-CAkey', `${name}-ca.key`,
    '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}-server.pem`], dir); // prettier-ignore
}

/** Runs a CLI under tsx with exactly `env` (plus PATH) and `stdin`. */
function runCli(script: string, env: Record<string, string>, stdin = '') {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: repositoryRoot,
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('exit', (code) => {
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(stdin);
  });
}

const APP_PASSWORD = 'application-password-0123456789';
const MIGRATOR_PASSWORD = 'migration-password-0123456789';

describe('database TLS and least-privilege users', () => {
  let dir: string;
  let embedded: EmbeddedServer;
  let base: Record<string, string>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'db-tls-'));
    makeCertificates(dir, 'trusted');
    makeCertificates(dir, 'other');
    embedded = await startEmbeddedServer({
      baseDir: join(dir, 'mariadb'),
      serverArgs: [
        `--ssl-ca=${join(dir, 'trusted-ca.pem')}`,
        `--ssl-cert=${join(dir, 'trusted-server.pem')}`,
        `--ssl-key=${join(dir, 'trusted-server.key')}`,
      ],
    });
    base = {
      DB_HOST: embedded.host,
      DB_PORT: String(embedded.port),
      DB_NAME: 'secured',
      DB_CONNECT_TIMEOUT_MS: '2000',
      DB_TLS: 'verify',
      DB_TLS_CA_FILE: join(dir, 'trusted-ca.pem'),
    };
  });
  after(async () => {
    await embedded.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const provisionEnv = () => ({
    ...base,
    DB_USER: embedded.user,
    DB_APP_USER: 'desktop_app',
    DB_MIGRATOR_USER: 'desktop_migrator',
  });

  it('provisions the two users idempotently, passwords from the environment or standard input', async () => {
    const first = await runCli(
      'server/src/cli/provision-db-users.ts',
      { ...provisionEnv(), DB_APP_PASSWORD: APP_PASSWORD },
      `DB_MIGRATOR_PASSWORD=${MIGRATOR_PASSWORD}\n`,
    );
    assert.equal(first.code, 0, first.stderr);
    const second = await runCli('server/src/cli/provision-db-users.ts', {
      ...provisionEnv(),
      DB_APP_PASSWORD: APP_PASSWORD,
      DB_MIGRATOR_PASSWORD: MIGRATOR_PASSWORD,
    });
    assert.equal(second.code, 0, second.stderr);
    const { provisioned } = JSON.parse(second.stdout) as {
      provisioned: { users: { username: string; privileges: string[]; requireTls: boolean }[] };
    };
    assert.deepEqual(
      provisioned.users.map((user) => [user.username, user.requireTls]),
      [
        ['desktop_app', true],
        ['desktop_migrator', true],
      ],
    );
    assert.doesNotMatch(first.stdout + first.stderr + second.stdout + second.stderr, /password-0123456789/);
  });

  it('refuses a missing or weak password, naming the variable', async () => {
    const result = await runCli('server/src/cli/provision-db-users.ts', {
      ...provisionEnv(),
      DB_APP_PASSWORD: 'short',
    });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /DB_APP_PASSWORD: must be at least 16/);
    assert.match(result.stderr, /DB_MIGRATOR_PASSWORD: is required/);
  });

  it('the migration user migrates; the application user reads and writes rows but cannot CREATE, DROP or ALTER', async () => {
    await migrate(loadDatabaseConfig({ ...base, DB_USER: 'desktop_migrator', DB_PASSWORD: MIGRATOR_PASSWORD }));
    const app = createPool(loadDatabaseConfig({ ...base, DB_USER: 'desktop_app', DB_PASSWORD: APP_PASSWORD }));
    try {
      await app.execute("INSERT INTO users (username, password_hash) VALUES ('row-check', REPEAT('x', 60))");
      await app.execute("DELETE FROM users WHERE username = 'row-check'");
      for (const statement of [
        'CREATE TABLE intruder (id INT)',
        'DROP TABLE desktop_events',
        'ALTER TABLE users ADD COLUMN intruder INT',
        'CREATE DATABASE intruder',
        'TRUNCATE TABLE users',
      ]) {
        await assert.rejects(app.query(statement), /denied/i, statement);
      }
    } finally {
      await app.end();
    }
  });

  it('the server connects over TLS verified against DB_TLS_CA_FILE', async () => {
    const app = createPool(loadDatabaseConfig({ ...base, DB_USER: 'desktop_app', DB_PASSWORD: APP_PASSWORD }));
    try {
      const [rows] = await app.query<mysql.RowDataPacket[]>("SHOW SESSION STATUS LIKE 'Ssl_version'");
      assert.match(String(rows[0]?.Value), /^TLSv1\.[23]$/);
    } finally {
      await app.end();
    }
    const server = await spawnServer({ ...base, DB_USER: 'desktop_app', DB_PASSWORD: APP_PASSWORD });
    try {
      assert.equal((await fetch(`${server.baseUrl}/ready`)).status, 200);
    } finally {
      server.kill('SIGKILL');
      await server.exit;
    }
  });

  it('refuses a server whose certificate another CA signed (and the default trusts only the RDS bundle)', async () => {
    const credentials = { DB_USER: 'desktop_app', DB_PASSWORD: APP_PASSWORD };
    for (const caFile of [{ DB_TLS_CA_FILE: join(dir, 'other-ca.pem') }, { DB_TLS_CA_FILE: '' }]) {
      const config = loadDatabaseConfig({ ...base, ...credentials, ...caFile });
      const pool = createPool(config);
      try {
        await assert.rejects(pool.query('SELECT 1'), /certificate|self.signed|unable to (get|verify)/i);
      } finally {
        await pool.end();
      }
    }
    const server = await spawnServer({ ...base, ...credentials, DB_TLS_CA_FILE: join(dir, 'other-ca.pem') });
    try {
      const ready = await fetch(`${server.baseUrl}/ready`);
      assert.equal(ready.status, 503);
      const login = await fetch(`${server.baseUrl}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'someone', password: 'something' }),
      });
      assert.equal(login.status, 503);
      assert.equal(((await login.json()) as { error: { code: string } }).error.code, 'database_unavailable');
    } finally {
      server.kill('SIGKILL');
      await server.exit;
    }
  });

  it('refuses plaintext when TLS is required, on either side', async () => {
    // The account requires TLS: a plaintext client is turned away by the server.
    const plaintext = createPool(
      loadDatabaseConfig({ ...base, DB_TLS: 'off', DB_USER: 'desktop_app', DB_PASSWORD: APP_PASSWORD }),
    );
    try {
      await assert.rejects(plaintext.query('SELECT 1'), /Access denied/);
    } finally {
      await plaintext.end();
    }
    // The client requires TLS: a server that offers none (the plaintext test MariaDB) is turned away by the client.
    const server = testServerEnv();
    const noTls = createPool(
      loadDatabaseConfig({ DB_HOST: server.host, DB_PORT: server.port, DB_USER: server.user, DB_TLS: 'verify' }),
    );
    try {
      await assert.rejects(noTls.query('SELECT 1'), /does not support secure connection|SSL|TLS/i);
    } finally {
      await noTls.end();
    }
  });

  it('DB_TLS=off is refused in production, naming DB_TLS, for the server and the migration command alike', () => {
    const production = {
      DB_HOST: 'h',
      DB_USER: 'u',
      NODE_ENV: 'production',
      DB_TLS: 'off',
      JWT_SECRET: TEST_JWT_SECRET,
    };
    for (const load of [loadConfig, loadDatabaseConfig]) {
      assert.throws(
        () => load(production),
        (error: unknown) => error instanceof ConfigError && error.variables.includes('DB_TLS'),
      );
    }
    assert.equal(loadConfig({ ...production, DB_TLS: 'verify' }).db.tls?.caFile, undefined);
    assert.throws(
      () => loadDatabaseConfig({ ...production, DB_TLS: 'verify', DB_TLS_CA_FILE: '/no/such.pem' }),
      /DB_TLS_CA_FILE/,
    );
    assert.throws(
      () => loadDatabaseConfig({ DB_HOST: 'h', DB_USER: 'u', DB_TLS: 'maybe' }),
      /DB_TLS: must be verify or off/,
    );
  });
});
