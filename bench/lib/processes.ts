/** Child processes of the benchmark: servers under test and load generators, each its own Node process. */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../server/src/db/embedded-server.js';

export { freePort };

export const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const TS = ['--import', 'tsx'];

/** A forked child that answers requests over IPC, one reply per request. */
export class Child {
  readonly exited: Promise<unknown>;
  #stderr = '';

  constructor(readonly process: ChildProcess) {
    this.exited = once(process, 'exit');
    process.stderr?.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-4000);
    });
  }

  request<T>(message: unknown, timeoutMs = 120_000): Promise<T> {
    return new Promise<T>((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no answer to ${JSON.stringify(message).slice(0, 80)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.process.once('message', (reply: T) => {
        clearTimeout(timer);
        resolvePromise(reply);
      });
      this.process.send(message as object);
    });
  }

  send(message: unknown): void {
    this.process.send(message as object);
  }

  stderr(): string {
    return this.#stderr;
  }

  async stop(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Starts a target (bench/targets/*.ts) on a free port, with --expose-gc; resolves once `readyPath` answers. */
export async function startTarget(
  file: string,
  env: Record<string, string>,
  readyPath = '/health',
): Promise<{ child: Child; port: number; url: string }> {
  const port = await freePort();
  const child = new Child(
    fork(resolve(repositoryRoot, 'bench/targets', file), [], {
      cwd: repositoryRoot,
      execArgv: [...TS, '--expose-gc'],
      env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ok = await fetch(`${url}${readyPath}`).then(
      (response) => response.status < 500 || response.status === 503,
      () => false,
    );
    if (ok) break;
    if (child.process.exitCode !== null) throw new Error(`${file} exited:\n${child.stderr()}`);
    if (Date.now() > deadline) throw new Error(`${file} did not answer on ${url}${readyPath}:\n${child.stderr()}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
  return { child, port, url };
}

/** A load generator (bench/load/*.ts) in its own process. */
export function startLoad(file: string): Child {
  return new Child(
    fork(resolve(repositoryRoot, 'bench/load', file), [], {
      cwd: repositoryRoot,
      execArgv: TS,
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    }),
  );
}

/** Runs a command to completion; its wall time and output. */
export async function runCommand(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<{ code: number | null; ms: number; stdout: string; stderr: string }> {
  const started = performance.now();
  const child = spawn(command, args, {
    cwd: repositoryRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, ms: performance.now() - started, stdout, stderr };
}
