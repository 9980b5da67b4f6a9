import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configFromEnv, environmentSources, loadConfig, unknownEnvironmentVariables } from '../../packages/server/src/core/config.js';
import { ValidationError } from '../../packages/server/src/core/errors.js';

/** loadConfig from an environment, as the CLI and `serve` call it. */
const fromEnv = (env: Record<string, string>) => loadConfig(configFromEnv(env), environmentSources(env));

function assertConfigError(load: () => unknown, message: string): void {
  assert.throws(load, (error: unknown) => {
    assert.ok(error instanceof ValidationError);
    assert.equal(error.message, `invalid configuration: ${message}`);
    return true;
  });
}

describe('configuration errors', () => {
  it('name the environment variable, the value and the allowed values', () => {
    assertConfigError(() => fromEnv({ GATEHOUSE_PORT: 'abc' }), 'GATEHOUSE_PORT "abc": expected an integer from 0 to 65535');
    assertConfigError(() => fromEnv({ GATEHOUSE_PORT: '65536' }), 'GATEHOUSE_PORT "65536": expected an integer from 0 to 65535');
    assertConfigError(() => fromEnv({ GATEHOUSE_SIGNING_ALG: 'HS256' }), 'GATEHOUSE_SIGNING_ALG "HS256": use ES256 or RS256');
    assertConfigError(() => fromEnv({ GATEHOUSE_THROTTLE_MAX_FAILURES_PER_CLIENT: '0' }), 'GATEHOUSE_THROTTLE_MAX_FAILURES_PER_CLIENT "0": expected an integer of at least 1');
    assertConfigError(
      () => fromEnv({ GATEHOUSE_MAX_ACCESS_TOKEN_TTL: '30s' }),
      'GATEHOUSE_MAX_ACCESS_TOKEN_TTL "30s": expected a duration of at least 60s (a number of seconds, or e.g. 30m, 12h)',
    );
    assertConfigError(() => fromEnv({ GATEHOUSE_THROTTLE_WINDOW: 'a while' }), 'GATEHOUSE_THROTTLE_WINDOW "a while": use a whole number followed by s, m, h, d, w or y (e.g. 3600s, 12h, 30d)');
  });

  it('name every invalid setting in one message', () => {
    assertConfigError(
      () => fromEnv({ GATEHOUSE_PORT: 'eighty', GATEHOUSE_LOG_LEVEL: 'loud' }),
      'GATEHOUSE_PORT "eighty": expected an integer from 0 to 65535; GATEHOUSE_LOG_LEVEL "loud": use one of fatal, error, warn, info, debug, trace or silent',
    );
  });

  it('name the variables in the derived checks too (issuer, trusted proxies, lifetimes)', () => {
    assertConfigError(() => fromEnv({ GATEHOUSE_ISSUER: 'https://auth.example.com/#x' }), 'GATEHOUSE_ISSUER "https://auth.example.com/#x" must not contain a query or fragment');
    assert.throws(() => fromEnv({ GATEHOUSE_TRUST_PROXY: '10.0.0.300' }), /^ValidationError: invalid configuration: GATEHOUSE_TRUST_PROXY "10\.0\.0\.300": "10\.0\.0\.300" is not an IP address/);
    assertConfigError(
      () => fromEnv({ GATEHOUSE_ACCESS_TOKEN_TTL: '2d', GATEHOUSE_MAX_ACCESS_TOKEN_TTL: '1d' }),
      'GATEHOUSE_ACCESS_TOKEN_TTL (172800s) exceeds GATEHOUSE_MAX_ACCESS_TOKEN_TTL (86400s)',
    );
  });

  it('name a flag the caller says a setting came from, and the setting itself otherwise', () => {
    assertConfigError(() => loadConfig({ port: 70_000 }, { port: '--port' }), '--port "70000": expected an integer from 0 to 65535');
    assertConfigError(() => loadConfig({ port: 70_000 }), 'port "70000": expected an integer from 0 to 65535');
    assertConfigError(() => loadConfig({ keyRefreshInterval: 5 }), 'keyRefreshInterval "5": expected an integer from 50 to 1000');
  });
});

describe('unknownEnvironmentVariables', () => {
  it('lists GATEHOUSE_* variables no setting reads, with the closest known name', () => {
    assert.deepEqual(unknownEnvironmentVariables({ GATEHOUSE_PROT: '1', GATEHOUSE_PORT: '1', PATH: '/bin', gatehouse_port: '1' }), [
      { name: 'GATEHOUSE_PROT', suggestion: 'GATEHOUSE_PORT', message: 'unknown environment variable GATEHOUSE_PROT (did you mean GATEHOUSE_PORT?)' },
    ]);
    assert.deepEqual(
      unknownEnvironmentVariables({ GATEHOUSE_DATABASE: 'x', GATEHOUSE_SIGNING_ALGORITHM: 'x', GATEHOUSE_XYZZY: 'x' }).map((unknown) => [unknown.name, unknown.suggestion]),
      [
        ['GATEHOUSE_DATABASE', 'GATEHOUSE_DATABASE_URL'],
        ['GATEHOUSE_SIGNING_ALGORITHM', 'GATEHOUSE_SIGNING_ALG'],
        ['GATEHOUSE_XYZZY', undefined],
      ],
    );
    assert.equal(unknownEnvironmentVariables({ GATEHOUSE_XYZZY: '' })[0]?.message, 'unknown environment variable GATEHOUSE_XYZZY (the settings are listed in docs/configuration.md)');
  });

  it("accepts every setting's variable, the test runner's GATEHOUSE_TEST_* and the demo's settings", () => {
    const env = {
      GATEHOUSE_PORT: '1', GATEHOUSE_TRUST_PROXY: '1', GATEHOUSE_LOGIN_MAX_FAILURES_PER_ADDRESS: '1', GATEHOUSE_MASTER_KEY_FILE: 'x',
      GATEHOUSE_TEST_POSTGRES_URL: 'x', GATEHOUSE_TEST_ANYTHING: 'x', GATEHOUSE_DEMO_API: 'false', GATEHOUSE_DEMO_MAX_UPLOAD_BYTES: '5',
    };
    assert.deepEqual(unknownEnvironmentVariables(env), []);
  });
});
