/**
 * haproxy from Debian standing in for the ALB: round robin over a fixed set of target slots, WebSocket upgrades passed
 * through, the ALB's idle timeout, health checks on the liveness path, and the runtime API (a unix socket) to register
 * a target, drain it (deregistration: no new connections, open ones continue) and remove it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { serverContract } from '../../../platform/server-contract.js';
import { freePort } from '../../../server/src/db/embedded-server.js';
import { waitUntil } from './wait.js';

const BACKEND = 'replicas';
/** Placeholder address of a slot that has no target yet (kept in maintenance, never checked). */
const UNUSED = '127.0.0.1:9';

export interface TargetState {
  /** haproxy's view: UP, DOWN, DRAIN, MAINT, ... */
  status: string;
  /** Connections open to the target now. */
  current: number;
}

export class Haproxy {
  private output = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly adminSocket: string,
    readonly port: number,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString('utf8')));
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** Slots s1..s<slots>; the first ones take `initialPorts` and are in rotation once their health check passes. */
  static async start(scratch: string, slots: number, initialPorts: readonly number[]): Promise<Haproxy> {
    const port = await freePort();
    const adminSocket = join(scratch, 'haproxy-admin.sock');
    const idle = `${serverContract.loadBalancerIdleTimeoutSeconds}s`;
    const servers = Array.from({ length: slots }, (_, index) => {
      const target = initialPorts[index];
      return target === undefined
        ? `  server s${index + 1} ${UNUSED} disabled`
        : `  server s${index + 1} 127.0.0.1:${target}`;
    });
    const config = [
      'global',
      `  stats socket ${adminSocket} mode 600 level admin`,
      '  maxconn 4000',
      'defaults',
      '  mode http',
      '  timeout connect 2s',
      // The ALB's idle timeout applies to requests, keep-alive connections and WebSocket tunnels alike.
      `  timeout client ${idle}`,
      `  timeout server ${idle}`,
      `  timeout tunnel ${idle}`,
      `  timeout http-keep-alive ${idle}`,
      // The ALB appends the client address to X-Forwarded-For; the server trusts one proxy hop.
      '  option forwardfor',
      'frontend alb',
      `  bind 127.0.0.1:${port}`,
      `  default_backend ${BACKEND}`,
      `backend ${BACKEND}`,
      '  balance roundrobin',
      `  option httpchk GET ${serverContract.paths.liveness}`,
      '  http-check expect status 200',
      '  default-server check inter 500ms fall 2 rise 2',
      ...servers,
      '',
    ].join('\n');
    const configFile = join(scratch, 'haproxy.cfg');
    writeFileSync(configFile, config);
    const child = spawn('haproxy', ['-db', '-f', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    const proxy = new Haproxy(child, adminSocket, port);
    await waitUntil(
      async () =>
        Object.values(await proxy.targets()).filter((state) => state.status === 'UP').length === initialPorts.length,
      `haproxy to start and see ${initialPorts.length} healthy targets`,
      20_000,
      200,
    ).catch((error: unknown) => {
      child.kill('SIGKILL');
      throw new Error(`${String(error)}\n${proxy.output}`);
    });
    return proxy;
  }

  /** One runtime API command; returns haproxy's answer. */
  async command(line: string): Promise<string> {
    const socket = connect(this.adminSocket);
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
    await once(socket, 'connect');
    socket.end(`${line}\n`);
    await once(socket, 'close');
    return answer;
  }

  /** Every slot's state, from `show stat`. */
  async targets(): Promise<Record<string, TargetState>> {
    const csv = await this.command('show stat');
    const [header, ...rows] = csv.trim().split('\n');
    const columns = (header ?? '').replace(/^# /, '').split(',');
    const column = (name: string) => columns.indexOf(name);
    const states: Record<string, TargetState> = {};
    for (const row of rows) {
      const cells = row.split(',');
      const name = cells[column('svname')];
      if (cells[column('pxname')] !== BACKEND || !name || name === 'BACKEND') continue;
      states[name] = { status: cells[column('status')] ?? '', current: Number(cells[column('scur')]) };
    }
    return states;
  }

  /** Registers a target in a slot and waits until its health checks pass (the ALB's "healthy"). */
  async register(slot: string, port: number): Promise<void> {
    await this.expectEmpty(await this.command(`set server ${BACKEND}/${slot} addr 127.0.0.1 port ${port}`), 'addr');
    await this.expectEmpty(await this.command(`set server ${BACKEND}/${slot} state ready`), 'ready');
    await waitUntil(async () => (await this.targets())[slot]?.status === 'UP', `${slot} to turn healthy`, 20_000, 100);
  }

  /** Deregistration: no new connections go to the slot; open ones continue. */
  async drain(slot: string): Promise<void> {
    await this.expectEmpty(await this.command(`set server ${BACKEND}/${slot} state drain`), 'drain');
  }

  /** Out of the target group entirely. */
  async remove(slot: string): Promise<void> {
    await this.expectEmpty(await this.command(`set server ${BACKEND}/${slot} state maint`), 'maint');
  }

  private expectEmpty(answer: string, what: string): Promise<void> {
    // The runtime API answers a successful state change with an empty line; anything else is its error message.
    if (answer.trim() !== '' && !/IP changed|port changed|no need to change/i.test(answer)) {
      throw new Error(`haproxy refused ${what}: ${answer}`);
    }
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    await exited;
  }
}
