import { createUser, login } from '../../server/test/support/server.js';
import { PASSWORD, type Fixture } from '../lib/fixture.js';

/** An API token of a fresh user, for the authenticated HTTP target. */
export async function createFixtureUserToken(fixture: Fixture, baseUrl: string): Promise<string> {
  await createUser(fixture.db, { username: 'bench-http', password: PASSWORD });
  return login(baseUrl, 'bench-http', PASSWORD);
}
