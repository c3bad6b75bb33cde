/** redis-server from Debian on loopback, standing in for ElastiCache: the replicas' cross-replica wake-ups (REDIS_URL). */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { freePort } from '../../../server/src/db/embedded-server.js';
import { waitUntil } from './wait.js';

export class RedisServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(): Promise<RedisServer> {
    const port = await freePort();
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    const ping = () =>
      new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        socket.on('error', () => {
          resolve(false);
        });
        socket.on('data', (chunk: Buffer) => {
          resolve(chunk.toString('latin1').startsWith('+PONG'));
          socket.destroy();
        });
        socket.write('PING\r\n');
      });
    await waitUntil(ping, 'redis-server to answer PING', 10_000, 100).catch((error: unknown) => {
      child.kill('SIGKILL');
      throw error;
    });
    return new RedisServer(child, `redis://127.0.0.1:${port}`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    await exited;
  }
}
