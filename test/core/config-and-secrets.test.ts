import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { newClientId } from '../../packages/server/src/core/admin/index.js';
import { configFromEnv, loadConfig } from '../../packages/server/src/core/config.js';
import { ValidationError } from '../../packages/server/src/core/errors.js';
import { CLIENT_SECRET_PREFIX, digestSecret, generateClientSecret, openSecret, sealSecret, secretMatches } from '../../packages/server/src/core/secrets.js';

describe('configuration', () => {
  it('has documented defaults: 127.0.0.1:8080, SQLite under ./data, derived issuer and audience', () => {
    const config = loadConfig();
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8080);
    assert.equal(config.databaseUrl, 'sqlite:./data/gatehouse.db');
    assert.equal(config.issuer, 'http://127.0.0.1:8080');
    assert.equal(config.audience, 'http://127.0.0.1:8080/api');
    assert.equal(config.dataDir, './data');
    assert.equal(config.masterKeyFile, './data/master.key');
    assert.equal(config.accessTokenTtl, 3600);
    assert.equal(config.signingAlgorithm, 'ES256');
    assert.ok(Object.isFrozen(config));
  });

  it('reads GATEHOUSE_* variables, including durations', () => {
    const config = loadConfig(
      configFromEnv({ GATEHOUSE_PORT: '9090', GATEHOUSE_HOST: '0.0.0.0', GATEHOUSE_ACCESS_TOKEN_TTL: '12h', GATEHOUSE_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1', GATEHOUSE_DATABASE_URL: 'sqlite:/var/lib/gh/db.sqlite' }),
    );
    assert.equal(config.port, 9090);
    assert.equal(config.issuer, 'http://0.0.0.0:9090');
    assert.equal(config.accessTokenTtl, 43_200);
    assert.equal(config.trustProxy, '10.0.0.0/8,127.0.0.1');
    assert.equal(config.dataDir, '/var/lib/gh');
    assert.equal(config.masterKeyFile, '/var/lib/gh/master.key');
  });

  it('has no demo settings: the demo document API reads its own (test/demo/settings.test.ts)', () => {
    assert.throws(() => loadConfig({ demoApi: true } as never), /demoApi: unknown setting/);
    assert.deepEqual(configFromEnv({ GATEHOUSE_DEMO_API: 'false', GATEHOUSE_DEMO_MAX_UPLOAD_BYTES: '5' }), {});
  });

  it('normalises the issuer and refuses one with a query or fragment (RFC 8414 §2)', () => {
    assert.equal(loadConfig({ issuer: 'https://auth.example.com/' }).issuer, 'https://auth.example.com');
    assert.throws(() => loadConfig({ issuer: 'https://auth.example.com/?x=1' }), ValidationError);
    assert.throws(() => loadConfig({ issuer: 'https://auth.example.com/#top' }), ValidationError);
    assert.throws(() => loadConfig({ issuer: 'not a url' }), ValidationError);
    assert.throws(() => loadConfig({ issuer: 'ftp://auth.example.com' }), ValidationError);
  });

  it('trusts no proxy by default, and accepts hop counts, addresses, CIDR ranges and named ranges', () => {
    assert.equal(loadConfig().trustProxy, '');
    assert.equal(loadConfig(configFromEnv({ GATEHOUSE_TRUST_PROXY: '' })).trustProxy, '');
    assert.equal(loadConfig(configFromEnv({ GATEHOUSE_TRUST_PROXY: '1' })).trustProxy, '1');
    assert.equal(loadConfig({ trustProxy: ' 2 ' }).trustProxy, '2');
    assert.equal(loadConfig({ trustProxy: '127.0.0.1' }).trustProxy, '127.0.0.1');
    assert.equal(loadConfig({ trustProxy: '::1,fd00::/8,loopback,192.168.0.0/16' }).trustProxy, '::1,fd00::/8,loopback,192.168.0.0/16');
  });

  it('refuses trustProxy "true" with a message about forged addresses, and anything it cannot read', () => {
    for (const value of ['true', 'TRUE', 'yes']) {
      assert.throws(
        () => loadConfig(configFromEnv({ GATEHOUSE_TRUST_PROXY: value })),
        (error: unknown) => error instanceof ValidationError && /forge/.test(error.message) && /trustProxy/.test(error.message),
      );
    }
    for (const value of ['0', '10.0.0.0/33', 'proxy.example.com', '10.0.0.1,', '1.2.3', 'false']) {
      assert.throws(() => loadConfig({ trustProxy: value }), (error: unknown) => error instanceof ValidationError && /trustProxy/.test(error.message), value);
    }
    assert.throws(() => loadConfig({ trustProxy: true } as never), /trustProxy/);
  });

  it('names every invalid setting', () => {
    assert.throws(
      () => loadConfig(configFromEnv({ GATEHOUSE_PORT: 'eighty', GATEHOUSE_LOG_LEVEL: 'loud' })),
      (error: unknown) => error instanceof ValidationError && /port/.test(error.message) && /logLevel/.test(error.message),
    );
    assert.throws(() => loadConfig({ nonsense: 1 } as never), /nonsense: unknown setting/);
  });
});

describe('secrets', () => {
  const key = randomBytes(32);

  it('generates prefixed 256-bit secrets', () => {
    const secret = generateClientSecret();
    assert.ok(secret.startsWith(CLIENT_SECRET_PREFIX));
    const random = Buffer.from(secret.slice(CLIENT_SECRET_PREFIX.length), 'base64url');
    assert.equal(random.length, 32);
    assert.notEqual(generateClientSecret(), secret);
  });

  it('makes client ids of 120 random bits that a command line never reads as an option', () => {
    // Base64url starts with "-" one time in 64: 2 000 ids without the rule would all pass by chance with p ≈ 2e-14.
    const ids = Array.from({ length: 2000 }, newClientId);
    for (const id of ids) assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{19}$/);
    assert.equal(new Set(ids).size, ids.length);
  });

  it('matches a secret against its keyed digest only', () => {
    const secret = generateClientSecret();
    const digest = digestSecret(secret, key);
    assert.ok(!digest.includes(secret));
    assert.equal(secretMatches(secret, [digest], key), true);
    assert.equal(secretMatches(`${secret}x`, [digest], key), false);
    assert.equal(secretMatches(secret, [digest], randomBytes(32)), false, 'another master key gives another digest');
    assert.equal(secretMatches(secret, [null, 'short', digest], key), true, 'any candidate may match');
    assert.equal(secretMatches(secret, [null, undefined, ''], key), false);
  });

  it('seals and opens key material, bound to its context', () => {
    const sealed = sealSecret('{"d":"private"}', key, 'signing-key:abc');
    assert.ok(!sealed.includes('private'));
    assert.equal(openSecret(sealed, key, 'signing-key:abc'), '{"d":"private"}');
    assert.throws(() => openSecret(sealed, key, 'signing-key:other'));
    assert.throws(() => openSecret(sealed, randomBytes(32), 'signing-key:abc'));
  });
});
