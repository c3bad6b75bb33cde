/**
 * Runs once per `npm test`: provides the MySQL-compatible server every server test talks to, as TEST_DB_* variables
 * that the test processes inherit. Each test file then creates its own database on it (server/test/support).
 *
 * Order: TEST_DB_HOST given → use it; otherwise a private MariaDB in a temp folder on a free port (about a second);
 * otherwise every database test fails with a message that says how to provide one. A test that needs the database
 * never skips.
 */
import type { TestDatabaseServer } from '../server/test/support/database-server.js';

// Node loads this module before the runner's --import hooks apply, so TypeScript sources are loaded through tsx here.
const { provideTestDatabaseServer } = (await (
  await import('tsx/esm/api')
).tsImport(
  '../server/test/support/database-server.ts',
  import.meta.url,
)) as typeof import('../server/test/support/database-server.js');

let server: TestDatabaseServer | undefined;

export async function globalSetup(): Promise<void> {
  server = await provideTestDatabaseServer();
  if (server.unavailable) process.env.TEST_DB_UNAVAILABLE = server.unavailable;
}

export async function globalTeardown(): Promise<void> {
  await server?.stop();
}
