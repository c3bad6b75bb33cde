import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Duration } from 'cdk8s';
import type { Chart } from 'cdk8s';
import { externalSecrets } from '../../../platform/environments.js';
import { serverContract } from '../../../platform/server-contract.js';
import { MigrationJob } from '../../lib/migration-job/index.js';
import type { MigrationJobProps } from '../../lib/migration-job/index.js';
import { assertRefused, freshChart, stagingEnv } from '../refusals.js';

describe('MigrationJob props', () => {
  const valid: MigrationJobProps = {
    env: stagingEnv,
    name: 'desktop-backend-migrate',
    image: 'registry.example/desktop-backend:abc123',
    version: 'abc123',
    contract: serverContract,
    clusterSecretStore: externalSecrets.clusterSecretStore,
    databaseEntries: [{ secretKey: 'DB_USER', remoteKey: stagingEnv.secrets.database, property: 'username' }],
    environment: { NODE_ENV: 'production' },
  };
  const build = (overrides: Partial<MigrationJobProps>) => (chart: Chart) =>
    new MigrationJob(chart, 'migration', { ...valid, ...overrides });

  it('accepts the props the charts use', () => {
    assert.doesNotThrow(() => new MigrationJob(freshChart(), 'migration', valid));
  });

  it('refuses a migration without credentials, or with an image that names no tag', () => {
    assertRefused(build({ databaseEntries: [] }), 'MigrationJob', 'databaseEntries');
    assertRefused(build({ image: 'desktop-backend' }), 'MigrationJob', 'image');
  });

  it('refuses a negative retry count and a deadline too short for any migration', () => {
    assertRefused(build({ backoffLimit: -1 }), 'MigrationJob', 'backoffLimit');
    assertRefused(build({ activeDeadline: Duration.seconds(5) }), 'MigrationJob', 'activeDeadline');
  });
});
