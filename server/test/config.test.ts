import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { serverContract } from '../../platform/server-contract.js';
import { ConfigError, loadConfig, loadDatabaseConfig, parseDurationSeconds } from '../src/config/index.js';

const minimal = { DB_HOST: 'db.internal', DB_USER: 'app', JWT_SECRET: 'x'.repeat(32) };

function configErrorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('loadConfig accepted an invalid environment');
}

describe('loadConfig', () => {
  it('fills the documented defaults from the platform contract', () => {
    const config = loadConfig(minimal);
    assert.equal(config.port, serverContract.httpPort);
    assert.equal(config.metricsPort, serverContract.metricsPort);
    assert.equal(config.auth.required, true);
    assert.equal(config.auth.jwtExpiresInSeconds, 8 * 3600);
    assert.equal(config.auth.bcryptRounds, 12);
    assert.equal(config.http.useHelmet, true);
    assert.deepEqual(config.http.corsOrigins, []);
    assert.equal(config.shutdown.graceMs, serverContract.shutdownGraceMs);
    assert.equal(config.shutdown.forceMs, serverContract.shutdownForceMs);
    assert.ok(config.http.keepAliveTimeoutMs > serverContract.loadBalancerIdleTimeoutSeconds * 1000);
    assert.ok(config.http.headersTimeoutMs > config.http.keepAliveTimeoutMs);
    assert.equal(config.desktop.heartbeatMs, serverContract.heartbeatMs);
    assert.equal(config.desktop.maxPayloadBytes, 65_536);
    assert.equal(config.db.port, 3306);
    assert.equal(config.db.database, 'desktop');
  });

  it('reads every documented variable', () => {
    const config = loadConfig({
      ...minimal,
      NODE_ENV: 'production',
      PORT: '8080',
      METRICS_PORT: '9000',
      DB_PORT: '3307',
      DB_PASSWORD: 'pw',
      DB_NAME: 'other',
      DB_POOL_SIZE: '20',
      JWT_EXPIRES_IN: '30m',
      JWT_ISSUER: 'issuer',
      BCRYPT_ROUNDS: '11',
      USE_HELMET: 'false',
      CORS_ORIGINS: 'https://a.example.com, http://localhost:3000',
      SHUTDOWN_GRACE_MS: '1000',
      SHUTDOWN_FORCE_MS: '2000',
      LOG_LEVEL: 'warn',
    });
    assert.equal(config.port, 8080);
    assert.equal(config.metricsPort, 9000);
    assert.deepEqual(
      [config.db.port, config.db.password, config.db.database, config.db.poolSize],
      [3307, 'pw', 'other', 20],
    );
    assert.equal(config.auth.jwtExpiresInSeconds, 30 * 60);
    assert.equal(config.auth.jwtIssuer, 'issuer');
    assert.equal(config.auth.bcryptRounds, 11);
    assert.equal(config.http.useHelmet, false);
    assert.deepEqual(config.http.corsOrigins, ['https://a.example.com', 'http://localhost:3000']);
    assert.deepEqual(config.shutdown, { graceMs: 1000, forceMs: 2000 });
    assert.equal(config.logLevel, 'warn');
  });

  it('names every bad variable in one error', () => {
    const error = configErrorOf({
      DB_PORT: 'abc',
      PORT: '70000',
      USE_HELMET: 'yes',
      CORS_ORIGINS: 'https://ok.example.com,not a url',
      LOG_LEVEL: 'loud',
      JWT_EXPIRES_IN: 'forever',
      BCRYPT_ROUNDS: '3',
      DB_POOL_SIZE: '0',
      SHUTDOWN_GRACE_MS: '9000',
      SHUTDOWN_FORCE_MS: '8000',
    });
    const expected = [
      'DB_HOST',
      'DB_USER',
      'DB_PORT',
      'PORT',
      'USE_HELMET',
      'CORS_ORIGINS',
      'LOG_LEVEL',
      'JWT_EXPIRES_IN',
      'BCRYPT_ROUNDS',
      'DB_POOL_SIZE',
      // Rules between variables are checked even when single variables are bad.
      'JWT_SECRET',
      'SHUTDOWN_FORCE_MS',
    ];
    for (const variable of expected) {
      assert.ok(error.variables.includes(variable), `${variable} missing from ${error.variables.join(', ')}`);
      assert.match(error.message, new RegExp(`- ${variable}: `));
    }
  });

  it('requires a JWT_SECRET of at least 32 bytes when auth is required', () => {
    assert.deepEqual(configErrorOf({ DB_HOST: 'h', DB_USER: 'u' }).variables, ['JWT_SECRET']);
    const short = configErrorOf({ ...minimal, JWT_SECRET: 'x'.repeat(31) });
    assert.deepEqual(short.variables, ['JWT_SECRET']);
    assert.match(short.message, /at least 32 bytes/);
    // Bytes, not characters: 11 three-byte characters are 33 bytes.
    assert.doesNotThrow(() => loadConfig({ ...minimal, JWT_SECRET: '€'.repeat(11) }));
  });

  it('allows AUTH_REQUIRED=false without a secret in development and test only', () => {
    const development = loadConfig({ DB_HOST: 'h', DB_USER: 'u', AUTH_REQUIRED: 'false' });
    assert.equal(development.auth.required, false);
    assert.ok(development.auth.jwtSecret.length >= 32);
    assert.equal(
      loadConfig({ DB_HOST: 'h', DB_USER: 'u', NODE_ENV: 'test', AUTH_REQUIRED: 'false' }).auth.required,
      false,
    );
    for (const NODE_ENV of ['production', 'staging', 'prod']) {
      const refused = configErrorOf({ ...minimal, NODE_ENV, AUTH_REQUIRED: 'false' });
      assert.deepEqual(refused.variables, ['AUTH_REQUIRED'], NODE_ENV);
      assert.match(refused.message, /AUTH_REQUIRED: false is for local development only/);
    }
  });

  it('refuses a cheap bcrypt cost in production and an unbounded one anywhere', () => {
    assert.deepEqual(configErrorOf({ ...minimal, NODE_ENV: 'production', BCRYPT_ROUNDS: '8' }).variables, [
      'BCRYPT_ROUNDS',
    ]);
    assert.equal(loadConfig({ ...minimal, BCRYPT_ROUNDS: '4' }).auth.bcryptRounds, 4);
    assert.deepEqual(configErrorOf({ ...minimal, BCRYPT_ROUNDS: '16' }).variables, ['BCRYPT_ROUNDS']);
  });

  it('refuses a force deadline before the grace period and a metrics port equal to the API port', () => {
    assert.deepEqual(configErrorOf({ ...minimal, SHUTDOWN_GRACE_MS: '5000', SHUTDOWN_FORCE_MS: '5000' }).variables, [
      'SHUTDOWN_FORCE_MS',
    ]);
    assert.deepEqual(configErrorOf({ ...minimal, PORT: '4000', METRICS_PORT: '4000' }).variables, ['METRICS_PORT']);
  });

  it('keeps WS_HEARTBEAT_MS well below the load balancer idle timeout', () => {
    const idleMs = serverContract.loadBalancerIdleTimeoutSeconds * 1000;
    for (const value of [idleMs, idleMs - 1, 600_000]) {
      const error = configErrorOf({ ...minimal, WS_HEARTBEAT_MS: String(value) });
      assert.deepEqual(error.variables, ['WS_HEARTBEAT_MS'], String(value));
      assert.match(error.message, /WS_HEARTBEAT_MS: must be at most \d+, half the load balancer's idle timeout/);
    }
    assert.equal(loadConfig({ ...minimal, WS_HEARTBEAT_MS: String(idleMs / 2) }).desktop.heartbeatMs, idleMs / 2);
    assert.deepEqual(configErrorOf({ ...minimal, WS_HEARTBEAT_MS: '999' }).variables, ['WS_HEARTBEAT_MS']);
  });

  it('reads durations into seconds once, at the boundary', () => {
    const config = loadConfig({ ...minimal, JWT_EXPIRES_IN: '2d', DESKTOP_TOKEN_EXPIRES_IN: '90' });
    assert.equal(config.auth.jwtExpiresInSeconds, 2 * 86_400);
    assert.equal(config.desktop.tokenExpiresInSeconds, 90);
    assert.equal(loadConfig(minimal).desktop.tokenExpiresInSeconds, 8 * 3600);
    const error = configErrorOf({ ...minimal, JWT_EXPIRES_IN: '0', DESKTOP_TOKEN_EXPIRES_IN: '8 hours' });
    assert.deepEqual(error.variables, ['JWT_EXPIRES_IN', 'DESKTOP_TOKEN_EXPIRES_IN']);
    assert.match(error.message, /JWT_EXPIRES_IN: must be a duration such as 8h/);
  });

  it('reads the cache, bcrypt worker and Redis settings, and names a bad Redis URL', () => {
    const defaults = loadConfig(minimal);
    assert.deepEqual(
      [defaults.auth.userCacheTtlMs, defaults.auth.bcryptWorkers, defaults.redis.url],
      [1000, 2, undefined],
    );
    const set = loadConfig({
      ...minimal,
      USER_CACHE_TTL_MS: '0',
      BCRYPT_WORKERS: '3',
      REDIS_URL: 'rediss://app:secret@cache.internal:6379',
    });
    assert.deepEqual(
      [set.auth.userCacheTtlMs, set.auth.bcryptWorkers, set.redis.url],
      [0, 3, 'rediss://app:secret@cache.internal:6379'],
    );
    for (const REDIS_URL of ['http://cache:6379', 'cache.internal:6379', 'redis://']) {
      assert.deepEqual(configErrorOf({ ...minimal, REDIS_URL }).variables, ['REDIS_URL'], REDIS_URL);
    }
    assert.deepEqual(configErrorOf({ ...minimal, USER_CACHE_TTL_MS: '600000' }).variables, ['USER_CACHE_TTL_MS']);
    assert.deepEqual(configErrorOf({ ...minimal, BCRYPT_WORKERS: '0' }).variables, ['BCRYPT_WORKERS']);
  });

  it('has documented defaults for the desktop socket limits and refuses a zero', () => {
    const { desktop } = loadConfig(minimal);
    assert.deepEqual(
      [
        desktop.maxSockets,
        desktop.maxSocketsPerAddress,
        desktop.maxSocketsPerUser,
        desktop.maxResumesPerMinute,
        desktop.maxReplayEvents,
      ],
      [20_000, 1000, 20, 6, 10_000],
    );
    const error = configErrorOf({ ...minimal, DESKTOP_MAX_SOCKETS_PER_USER: '0', DESKTOP_MAX_SOCKETS_PER_IP: 'many' });
    assert.deepEqual(error.variables, ['DESKTOP_MAX_SOCKETS_PER_IP', 'DESKTOP_MAX_SOCKETS_PER_USER']);
  });

  it('treats empty variables as unset', () => {
    assert.equal(loadConfig({ ...minimal, PORT: '', CORS_ORIGINS: '' }).port, serverContract.httpPort);
  });

  it('loads only DB_* for the migration job (no JWT secret needed)', () => {
    assert.equal(loadDatabaseConfig({ DB_HOST: 'h', DB_USER: 'u' }).host, 'h');
    assert.throws(() => loadDatabaseConfig({ DB_USER: 'u' }), /DB_HOST/);
  });
});

describe('parseDurationSeconds', () => {
  it('reads s/m/h/d and bare seconds, rejects junk and zero', () => {
    assert.deepEqual(['45s', '30m', '8h', '2d', '3600', '0', '8 hours', '-1h', ''].map(parseDurationSeconds), [
      45,
      1800,
      28_800,
      172_800,
      3600,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});
