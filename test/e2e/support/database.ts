/**
 * A private MariaDB that a scenario may stop and start again (a database outage), on the same port and data folder,
 * so every replica keeps its DB_HOST/DB_PORT as it would across an RDS failover. The scenario's process points
 * TEST_DB_* at it, so createTestDatabase and the replicas use it instead of the run's shared server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedServer, type EmbeddedServer } from '../../../server/src/db/embedded-server.js';

export class StoppableDatabaseServer {
  private running: EmbeddedServer | undefined;

  private constructor(
    private readonly baseDir: string,
    readonly port: number,
    server: EmbeddedServer,
  ) {
    this.running = server;
  }

  static async start(): Promise<StoppableDatabaseServer> {
    const baseDir = mkdtempSync(join(tmpdir(), 'desktop-backend-e2e-db-'));
    const server = await startEmbeddedServer({ baseDir });
    process.env.TEST_DB_HOST = server.host;
    process.env.TEST_DB_PORT = String(server.port);
    process.env.TEST_DB_USER = server.user;
    process.env.TEST_DB_PASSWORD = server.password;
    delete process.env.TEST_DB_UNAVAILABLE;
    return new StoppableDatabaseServer(baseDir, server.port, server);
  }

  /** A clean shutdown (InnoDB flushes what it acknowledged): the database is gone until `startAgain`. */
  async stop(): Promise<void> {
    await this.running?.stop();
    this.running = undefined;
  }

  /** Starts on the same port and data; resolves once it accepts connections. */
  async startAgain(): Promise<void> {
    this.running = await startEmbeddedServer({ baseDir: this.baseDir, port: this.port });
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.baseDir, { recursive: true, force: true });
  }
}
