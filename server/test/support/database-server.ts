/**
 * The MySQL-compatible server a test run or a benchmark talks to, published as TEST_DB_* variables that the processes
 * it starts inherit: the server TEST_DB_HOST already names, else a private MariaDB in a temp folder on a free port
 * (about a second).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embeddedServerAvailable, startEmbeddedServer } from '../../src/db/embedded-server.js';

export const NO_DATABASE_SERVER =
  'No MySQL-compatible server for the tests: install MariaDB (apt-get install mariadb-server) so a private ' +
  'instance can start, or set TEST_DB_HOST, TEST_DB_PORT, TEST_DB_USER and TEST_DB_PASSWORD to a server the ' +
  'tests may create databases on.';

export interface TestDatabaseServer {
  /** Why there is none (then TEST_DB_HOST stays unset); undefined when TEST_DB_* names a server. */
  readonly unavailable?: string;
  /** Stops the private server, if one was started, and removes its folder. */
  stop(): Promise<void>;
}

export async function provideTestDatabaseServer(): Promise<TestDatabaseServer> {
  if (process.env.TEST_DB_HOST) return { stop: () => Promise.resolve() };
  if (!embeddedServerAvailable()) return { unavailable: NO_DATABASE_SERVER, stop: () => Promise.resolve() };
  const baseDir = mkdtempSync(join(tmpdir(), 'desktop-backend-test-db-'));
  const embedded = await startEmbeddedServer({ baseDir });
  process.env.TEST_DB_HOST = embedded.host;
  process.env.TEST_DB_PORT = String(embedded.port);
  process.env.TEST_DB_USER = embedded.user;
  process.env.TEST_DB_PASSWORD = embedded.password;
  return {
    async stop() {
      await embedded.stop();
      rmSync(baseDir, { recursive: true, force: true });
    },
  };
}
