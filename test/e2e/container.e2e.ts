/**
 * The real image: built from the Dockerfile with podman, run the way the cluster runs it (read-only root filesystem,
 * writable /tmp, every capability dropped, no privilege escalation, uid 1000), answering /health, running the
 * migrations from the same image, and stopping on SIGTERM by itself.
 *
 * Needs podman (`bash .ci/run` installs it). The build uses the official base image the Dockerfile names when it is
 * present or can be pulled; only where no registry is reachable does it build from a local stand-in under a name of its
 * own (scripts/container/local-base-image.sh, root), passed as the NODE_IMAGE build argument and removed afterwards.
 * The test database (TEST_DB_*, from test/global-setup.ts like every database test) gets its schema from the image's
 * migrate command, so /ready answers 200. Prints build time, image size and stop time. Scenario 5 of `npm run test:e2e`;
 * the Dockerfile's static rules are in test/dockerfile.test.ts.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { serverContract } from '../../platform/server-contract.js';
import { freePort } from '../../server/src/db/embedded-server.js';

const repoRoot = join(import.meta.dirname, '..', '..');
const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
const nodeVersion = readFileSync(join(repoRoot, '.nvmrc'), 'utf8').trim();
const baseImage = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1];
const podmanMissing = spawnSync('podman', ['--version']).error
  ? 'podman is not installed (apt-get install podman runc netavark iptables; `bash .ci/run` does it): the image was not built'
  : false;

const image = `localhost/desktop-backend:test-${process.pid}`;
/**
 * A local stand-in for the official base image, used only when the official one can be neither found nor pulled. Its
 * name cannot be mistaken for the official image, so it never shadows the real one on a machine that reaches a registry.
 */
const standInImage = `localhost/desktop-backend-node${nodeVersion}-standin`;
/** The image the build starts from: the official one, or the stand-in (then removed after the test). */
let buildBase: string | undefined;
const container = `desktop-backend-test-${process.pid}`;
const graceSeconds = 20;
const containerEnv: Record<string, string> = {};
let database: string | undefined;

function podman(args: readonly string[], timeoutMs = 60_000): SpawnSyncReturns<string> {
  return spawnSync('podman', args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
}

function podmanOk(args: readonly string[], timeoutMs?: number): string {
  const result = podman(args, timeoutMs);
  assert.equal(result.status, 0, `podman ${args.join(' ')}\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** The options the Deployment's securityContext gives the pod, plus host networking to reach the test database. */
const hardened = (): string[] => [
  '--network=host',
  '--read-only',
  '--tmpfs=/tmp',
  '--cap-drop=ALL',
  '--security-opt=no-new-privileges',
  `--user=${serverContract.image.uid}:${serverContract.image.gid}`,
  ...Object.entries(containerEnv).flatMap(([key, value]) => ['--env', `${key}=${value}`]),
];

/** The official base image when it is present or can be pulled; otherwise the stand-in, made from a cached rootfs. */
function resolveBaseImage(official: string): string {
  if (podman(['image', 'exists', official]).status === 0) return official;
  if (podman(['pull', '--quiet', official], 120_000).status === 0) return official;
  const local = spawnSync('bash', ['scripts/container/local-base-image.sh', standInImage, nodeVersion], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 600_000,
    env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` },
  });
  assert.equal(local.status, 0, `no registry and no stand-in base image:\n${local.stdout}\n${local.stderr}`);
  return standInImage;
}

async function adminConnection(): Promise<mysql.Connection> {
  return mysql.createConnection({
    host: process.env.TEST_DB_HOST,
    port: Number(process.env.TEST_DB_PORT ?? 3306),
    user: process.env.TEST_DB_USER,
    password: process.env.TEST_DB_PASSWORD ?? '',
  });
}

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5000) });
  return { status: response.status, body: await response.text() };
}

async function waitForHealth(port: number): Promise<void> {
  for (let attempt = 0; attempt < 120; attempt++) {
    try {
      if ((await get(port, serverContract.paths.liveness)).status === 200) return;
    } catch {
      // not listening yet
    }
    const state = podman(['inspect', '--format', '{{.State.Running}}', container]).stdout.trim();
    if (state !== 'true') break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  assert.fail(`the server never answered ${serverContract.paths.liveness}:\n${podman(['logs', container]).stderr}`);
}

describe('container image', { skip: podmanMissing }, () => {
  let confDir: string | undefined;
  let httpPort = 0;
  let metricsPort = 0;

  before(async () => {
    // runc with explicit ulimits: crun fails on these machines (cgroups in hybrid mode). Where the caller configured podman, keep it.
    if (!process.env.CONTAINERS_CONF && ['/usr/sbin/runc', '/usr/bin/runc'].some((path) => existsSync(path))) {
      confDir = mkdtempSync(join(tmpdir(), 'podman-conf-'));
      const conf = join(confDir, 'containers.conf');
      writeFileSync(
        conf,
        '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n[engine]\nruntime = "runc"\n',
      );
      process.env.CONTAINERS_CONF = conf;
    }
    assert.ok(baseImage, 'the Dockerfile names its base in `ARG NODE_IMAGE=...`');
    buildBase = resolveBaseImage(baseImage);
    httpPort = await freePort();
    metricsPort = await freePort();
    Object.assign(containerEnv, {
      PORT: String(httpPort),
      METRICS_PORT: String(metricsPort),
      JWT_SECRET: 'container-test-secret-that-is-at-least-32-bytes-long',
      LOG_LEVEL: 'info',
    });
    assert.ok(
      process.env.TEST_DB_HOST,
      process.env.TEST_DB_UNAVAILABLE ?? 'no test database: run with test/global-setup.ts',
    );
    database = `container_test_${process.pid}`;
    const admin = await adminConnection();
    await admin.query(`CREATE DATABASE \`${database}\``);
    await admin.end();
    Object.assign(containerEnv, {
      DB_HOST: process.env.TEST_DB_HOST,
      DB_PORT: process.env.TEST_DB_PORT ?? '3306',
      DB_USER: process.env.TEST_DB_USER ?? 'root',
      DB_PASSWORD: process.env.TEST_DB_PASSWORD ?? '',
      DB_NAME: database,
      // The test MariaDB speaks plaintext, which production refuses (DB_TLS): run the image as a test deployment.
      NODE_ENV: 'test',
      DB_TLS: 'off',
    });
  });

  after(async () => {
    podman(['rm', '--force', '--time', '0', container]);
    podman(['rmi', '--force', image]);
    if (buildBase === standInImage) podman(['rmi', '--force', standInImage]);
    // Each build leaves its stages behind as untagged images (the layer cache); drop the ones older than any build
    // that may still be running, so repeated runs do not fill the disk.
    podman(['image', 'prune', '--force', '--filter', 'until=15m']);
    if (database) {
      const admin = await adminConnection();
      await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
      await admin.end();
    }
    if (confDir) rmSync(confDir, { recursive: true, force: true });
  });

  it('builds from the Dockerfile with the layout platform/server-contract.ts declares', () => {
    const started = performance.now();
    assert.ok(buildBase, 'a base image was resolved');
    const buildArgs = buildBase === baseImage ? [] : ['--build-arg', `NODE_IMAGE=${buildBase}`];
    podmanOk(['build', '--pull=never', '--format=docker', ...buildArgs, '--tag', image, repoRoot], 900_000);
    const buildSeconds = (performance.now() - started) / 1000;
    const [config] = JSON.parse(podmanOk(['image', 'inspect', image])) as {
      Size: number;
      Config: { User: string; WorkingDir: string; Cmd: string[]; Env: string[]; ExposedPorts: object };
      ContainerConfig?: unknown;
    }[];
    assert.ok(config);
    console.log(`image build ${buildSeconds.toFixed(1)} s, size ${(config.Size / 1e6).toFixed(0)} MB`);

    assert.equal(config.Config.User, `${serverContract.image.uid}:${serverContract.image.gid}`);
    assert.equal(config.Config.WorkingDir, serverContract.image.workdir);
    assert.deepEqual(config.Config.Cmd, [...serverContract.image.serverCommand]);
    assert.deepEqual(Object.keys(config.Config.ExposedPorts).sort(), [
      `${serverContract.httpPort}/tcp`,
      `${serverContract.metricsPort}/tcp`,
    ]);
    assert.ok(config.Config.Env.includes('NODE_ENV=production'));
    assert.match(podmanOk(['image', 'inspect', '--format', '{{json .Config.Healthcheck}}', image]), /\/health/);
    assert.equal(baseImage?.match(/node:(\d+\.\d+\.\d+)-/)?.[1], nodeVersion, 'base image Node = .nvmrc');
  });

  it('holds the compiled server, production dependencies and migrations, and nothing else worth stealing', () => {
    const probe = `
      const fs = require('node:fs');
      const has = (p) => fs.existsSync(p);
      console.log(JSON.stringify({
        server: has('${serverContract.image.serverCommand[1]}'),
        migrate: has('${serverContract.image.migrateCommand[1]}'),
        migrations: fs.readdirSync('server/migrations').filter((f) => f.endsWith('.sql')).length,
        express: has('node_modules/express'),
        devDependencies: ['typescript', 'tsx', 'eslint', 'aws-cdk-lib'].filter((d) => has('node_modules/' + d)),
        sources: ['server/src', 'server/test', 'test', 'k8s', 'cluster', '.git', '.env', 'platform/pins', 'charts-out']
          .filter(has),
        npm: ['/usr/local/bin/npm', '/usr/local/lib/node_modules/npm'].filter(has),
        npmCache: ['/root/.npm', '/home/node/.npm'].filter(has),
      }));`;
    const { migrations, ...found } = JSON.parse(
      podmanOk(['run', '--rm', ...hardened(), image, 'node', '-e', probe]),
    ) as {
      migrations: number;
    } & Record<string, unknown>;
    assert.ok(migrations > 0, 'server/migrations/*.sql are in the image');
    assert.deepEqual(found, {
      server: true,
      migrate: true,
      express: true,
      devDependencies: [],
      sources: [],
      npm: [],
      npmCache: [],
    });
  });

  it('runs the migrations with the migrate command of the same image (the PreSync Job)', () => {
    const result = podman(['run', '--rm', ...hardened(), image, ...serverContract.image.migrateCommand], 120_000);
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
  });

  it('serves /health as uid 1000 on a read-only root filesystem with no capabilities', async () => {
    podmanOk(['run', '--detach', '--name', container, ...hardened(), image]);
    await waitForHealth(httpPort);

    assert.equal((await get(httpPort, serverContract.paths.liveness)).status, 200);
    const ready = await get(httpPort, serverContract.paths.dependencies);
    assert.equal(ready.status, 200, `the migrated database answers: ${ready.body}`);
    assert.equal((await get(metricsPort, serverContract.paths.metrics)).status, 200);

    // PID 1 is node itself (so SIGTERM reaches the server), as uid 1000 with no effective capabilities.
    const status = podmanOk(['exec', container, 'cat', '/proc/1/status']);
    assert.match(status, /^Uid:\s+1000\s+1000\s+1000\s+1000$/m);
    assert.match(status, /^CapEff:\s+0+$/m);
    assert.match(podmanOk(['exec', container, 'cat', '/proc/1/cmdline']), /^node\0dist\/server\/src\/main\.js/);
    const write = podman(['exec', container, 'node', '-e', "require('fs').writeFileSync('/app/dist/x', '')"]);
    assert.match(write.stderr, /EROFS|EACCES/, 'the application files cannot be rewritten');
    podmanOk(['exec', container, 'node', '-e', "require('fs').writeFileSync('/tmp/x', 'ok')"]);
    podmanOk(['healthcheck', 'run', container]);
  });

  it('passes the post-deploy smoke test of RUNBOOK.md (login, PKCE desktop login, /ws/desktop event)', () => {
    const password = 'smoke-test-password-1234';
    podmanOk([
      'run',
      '--rm',
      ...hardened(),
      '--env',
      `NEW_USER_PASSWORD=${password}`,
      image,
      'node',
      'dist/server/src/cli/user-create.js',
      '--username',
      'smoke',
      '--role',
      'user',
    ]);
    const smoke = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'scripts/smoke/post-deploy.ts', `http://127.0.0.1:${httpPort}`],
      {
        cwd: repoRoot,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, SMOKE_USERNAME: 'smoke', SMOKE_PASSWORD: password },
      },
    );
    assert.equal(smoke.status, 0, `${smoke.stdout}\n${smoke.stderr}`);
    assert.match(smoke.stdout, /smoke test passed/);
  });

  it('exits 0 on SIGTERM before podman would have to kill it', () => {
    const started = performance.now();
    podmanOk(['stop', '--time', String(graceSeconds), container], (graceSeconds + 30) * 1000);
    const stopSeconds = (performance.now() - started) / 1000;
    console.log(`stopped ${stopSeconds.toFixed(1)} s after SIGTERM (grace ${graceSeconds} s)`);
    // A process that ignored SIGTERM would be SIGKILLed at the end of the grace period and report 137.
    const exitCode = podmanOk(['inspect', '--format', '{{.State.ExitCode}}', container]).trim();
    assert.equal(exitCode, '0', podman(['logs', container]).stderr);
  });
});
