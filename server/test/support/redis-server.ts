/**
 * A private redis-server (Debian's) on a free loopback port, for tests and the benchmark: nothing persisted, stopped
 * and started again on the same port to rehearse an outage.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { freePort } from '../../src/db/embedded-server.js';

export const NO_REDIS_SERVER =
  'redis-server is needed (apt-get install -y --no-install-recommends redis-server): the cross-replica wake-ups are ' +
  'tested against a real one.';

export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  /** Starts it (again) on the same port; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops it and waits for the process to exit. */
  stop(): Promise<void>;
}

async function accepting(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => {
        resolve(false);
      });
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not accept connections on ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function redisServerAvailable(): boolean {
  return !spawnSync('redis-server', ['--version']).error;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  if (!redisServerAvailable()) throw new Error(NO_REDIS_SERVER);
  const port = await freePort();
  let child: ChildProcess | undefined;
  const redis: PrivateRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      child = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'],
        { stdio: 'ignore' },
      );
      await accepting(port, 10_000);
    },
    async stop() {
      if (!child || child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
  await redis.start();
  return redis;
}
