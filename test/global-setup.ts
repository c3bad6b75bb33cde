/**
 * Runs once per `npm test`: provides the MySQL-compatible server every server test talks to, as TEST_DB_* variables
 * that the test processes inherit. Each test file then creates its own database on it (server/test/support).
 *
 * Order: TEST_DB_HOST given → use it; otherwise a private MariaDB in a temp folder on a free port (about a second);
 * otherwise fail with a message that says how to provide one. A test that needs the database never skips.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EmbeddedServer } from '../server/src/db/embedded-server.js';

// Node loads this module before the runner's --import hooks apply, so TypeScript sources are loaded through tsx here.
const { embeddedServerAvailable, startEmbeddedServer } = await loadEmbeddedServer();

async function loadEmbeddedServer(): Promise<typeof import('../server/src/db/embedded-server.js')> {
  const { tsImport } = await import('tsx/esm/api');
  return (await tsImport(
    '../server/src/db/embedded-server.ts',
    import.meta.url,
  )) as typeof import('../server/src/db/embedded-server.js');
}

let embedded: EmbeddedServer | undefined;
let baseDir: string | undefined;

export async function globalSetup(): Promise<void> {
  if (process.env.TEST_DB_HOST) return;
  if (!embeddedServerAvailable()) {
    process.env.TEST_DB_UNAVAILABLE =
      'No MySQL-compatible server for the tests: install MariaDB (apt-get install mariadb-server) so a private ' +
      'instance can start, or set TEST_DB_HOST, TEST_DB_PORT, TEST_DB_USER and TEST_DB_PASSWORD to a server the ' +
      'tests may create databases on.';
    return;
  }
  baseDir = mkdtempSync(join(tmpdir(), 'desktop-backend-test-db-'));
  embedded = await startEmbeddedServer({ baseDir });
  process.env.TEST_DB_HOST = embedded.host;
  process.env.TEST_DB_PORT = String(embedded.port);
  process.env.TEST_DB_USER = embedded.user;
  process.env.TEST_DB_PASSWORD = embedded.password;
}

export async function globalTeardown(): Promise<void> {
  await embedded?.stop();
  if (baseDir) rmSync(baseDir, { recursive: true, force: true });
}
