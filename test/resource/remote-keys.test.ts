import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { exportJWK, generateSecret, type JWK } from 'jose';
import { createVerifier, importJwks, remoteKeySource } from '../../packages/resource/src/index.js';
import { generateTestKey, sendJson, signToken, startHttpServer, type TestHttpServer, type TestKey } from './helpers.js';

/** An authorization server's metadata and JWKS, served on 127.0.0.1, whose answers the test controls. */
interface FakeIssuer {
  server: TestHttpServer;
  issuer: string;
  jwks: JWK[];
  /** When set, the JWKS answers this status. */
  jwksStatus: number;
  /** The `issuer` the metadata claims (defaults to the real one). */
  metadataIssuer: string | undefined;
  jwksFetches(): number;
  metadataFetches(): number;
}

async function startFakeIssuer(): Promise<FakeIssuer> {
  const fake: FakeIssuer = {
    server: undefined as unknown as TestHttpServer,
    issuer: '',
    jwks: [],
    jwksStatus: 200,
    metadataIssuer: undefined,
    jwksFetches: () => fake.server.requests.filter((r) => r.url === '/jwks.json').length,
    metadataFetches: () => fake.server.requests.filter((r) => r.url === '/.well-known/oauth-authorization-server').length,
  };
  fake.server = await startHttpServer((req, res, base) => {
    if (req.url === '/.well-known/oauth-authorization-server') {
      sendJson(res, 200, { issuer: fake.metadataIssuer ?? base, jwks_uri: `${base}/jwks.json`, token_endpoint: `${base}/oauth/token` });
    } else if (req.url === '/jwks.json') {
      if (fake.jwksStatus !== 200) sendJson(res, fake.jwksStatus, { error: 'down' });
      else sendJson(res, 200, { keys: fake.jwks });
    } else {
      sendJson(res, 404, {});
    }
  });
  fake.issuer = fake.server.url;
  return fake;
}

describe('remoteKeySource: metadata, JWKS and rotation over real HTTP', () => {
  let fake: FakeIssuer;
  let first: TestKey;
  let second: TestKey;

  before(async () => {
    fake = await startFakeIssuer();
    first = await generateTestKey('ES256');
    second = await generateTestKey('ES256');
  });
  after(() => fake.server.close());
  beforeEach(() => {
    fake.server.requests.length = 0;
    fake.jwks = [first.publicJwk];
    fake.jwksStatus = 200;
    fake.metadataIssuer = undefined;
  });

  it('cachedKey: a key already read, at once and without a request; undefined before the first read and for an unknown kid', async () => {
    const source = remoteKeySource({ issuer: fake.issuer });
    assert.equal(source.cachedKey!(first.kid), undefined, 'nothing read yet');
    assert.equal(fake.jwksFetches(), 0, 'cachedKey never waits for a fetch');
    assert.ok(await source.getKey(first.kid));
    assert.equal(source.cachedKey!(first.kid)?.alg, 'ES256');
    assert.equal(source.cachedKey!(second.kid), undefined);
    assert.equal(fake.jwksFetches(), 1);
  });

  const verifyWith = (verifier: ReturnType<typeof createVerifier>, token: string) =>
    verifier.verify({ headers: { authorization: `Bearer ${token}` }, url: '/' }, { tenant: 'free' });

  it('finds the JWKS through the RFC 8414 metadata and verifies tokens, fetching once', async () => {
    const verifier = createVerifier({ issuer: fake.issuer, audience: 'https://auth.test/api' });
    for (let i = 0; i < 3; i++) {
      const claims = await verifyWith(verifier, await signToken(first, { iss: fake.issuer }));
      assert.equal(claims.iss, fake.issuer);
    }
    assert.equal(fake.metadataFetches(), 1);
    assert.equal(fake.jwksFetches(), 1);
    await verifier.close();
  });

  it('picks a rotated key up through its unknown kid, with exactly one refetch', async () => {
    let now = 1_000_000;
    const keys = remoteKeySource({ issuer: fake.issuer, clock: () => now });
    const verifier = createVerifier({ issuer: fake.issuer, audience: 'https://auth.test/api', keys });
    await verifyWith(verifier, await signToken(first, { iss: fake.issuer }));
    assert.equal(fake.jwksFetches(), 1);

    fake.jwks = [second.publicJwk, first.publicJwk]; // the issuer rotates
    now += 10_000;
    const claims = await verifyWith(verifier, await signToken(second, { iss: fake.issuer }));
    assert.equal(claims.iss, fake.issuer);
    assert.equal(fake.jwksFetches(), 2, 'one refetch for the new kid');
    assert.equal(fake.metadataFetches(), 1, 'the jwks_uri is remembered');

    // Both keys now verify without further requests.
    await verifyWith(verifier, await signToken(first, { iss: fake.issuer }));
    await verifyWith(verifier, await signToken(second, { iss: fake.issuer }));
    assert.equal(fake.jwksFetches(), 2);
  });

  it('refetches for unknown kids at most once per refetchInterval, sharing the request in flight', async () => {
    let now = 5_000_000;
    const keys = remoteKeySource({ issuer: fake.issuer, clock: () => now, refetchInterval: 10_000 });
    await keys.refresh();
    assert.equal(fake.jwksFetches(), 1);

    now += 10_000;
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => keys.getKey(`made-up-${i}`)));
    assert.ok(results.every((key) => key === undefined));
    assert.equal(fake.jwksFetches(), 2, 'twenty concurrent misses, one request');

    now += 9_999;
    assert.equal(await keys.getKey('made-up-again'), undefined);
    assert.equal(fake.jwksFetches(), 2, 'no refetch within the interval');

    now += 1;
    fake.jwks = [first.publicJwk, second.publicJwk];
    assert.ok(await keys.getKey(second.kid));
    assert.equal(fake.jwksFetches(), 3, 'one refetch once the interval has passed');
  });

  it('keeps verifying with cached keys while the JWKS is down, and reports the failure', async () => {
    let now = 9_000_000;
    const errors: unknown[] = [];
    const keys = remoteKeySource({ issuer: fake.issuer, clock: () => now, onError: (error) => errors.push(error) });
    const verifier = createVerifier({ issuer: fake.issuer, audience: 'https://auth.test/api', keys });
    await verifyWith(verifier, await signToken(first, { iss: fake.issuer }));

    fake.jwksStatus = 503;
    now += 60_000;
    // The unknown kid triggers a refetch, which fails: the token is refused, the cache is kept.
    await assert.rejects(verifyWith(verifier, await signToken(second, { iss: fake.issuer })), { status: 401, code: 'invalid_token' });
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /503/);
    const claims = await verifyWith(verifier, await signToken(first, { iss: fake.issuer }));
    assert.equal(claims.iss, fake.issuer);

    // Once the JWKS is back (and the interval has passed), the rotated key is found.
    fake.jwksStatus = 200;
    fake.jwks = [first.publicJwk, second.publicJwk];
    now += 10_000;
    await verifyWith(verifier, await signToken(second, { iss: fake.issuer }));
  });

  it('keeps the cached keys when the issuer cannot be reached at all', async () => {
    const keys = remoteKeySource({ issuer: fake.issuer, clock: () => Date.now() });
    await keys.refresh();
    const unreachable = remoteKeySource({ issuer: 'http://127.0.0.1:9', refetchInterval: 0 });
    await assert.rejects(unreachable.refresh());
    assert.equal(await unreachable.getKey(first.kid), undefined);
    assert.ok(await keys.getKey(first.kid));
  });

  it('refuses metadata naming another issuer (RFC 8414 §3.3)', async () => {
    fake.metadataIssuer = 'https://evil.test';
    const keys = remoteKeySource({ issuer: fake.issuer });
    await assert.rejects(keys.refresh(), /another issuer/);
    assert.equal(await keys.getKey(first.kid), undefined);
    assert.equal(fake.jwksFetches(), 0, 'the JWKS of an unverified issuer is never fetched');
  });

  it('drops a key the issuer stopped publishing, on the next successful fetch', async () => {
    fake.jwks = [first.publicJwk, second.publicJwk];
    const keys = remoteKeySource({ issuer: fake.issuer, refetchInterval: 0 });
    await keys.refresh();
    assert.ok(await keys.getKey(second.kid));
    fake.jwks = [first.publicJwk];
    await keys.refresh();
    assert.equal(await keys.getKey(second.kid), undefined);
    assert.ok(await keys.getKey(first.kid));
  });
});

describe('importJwks', () => {
  it('imports ES256, RS256, PS256 and EdDSA keys, and skips everything else', async () => {
    const es = await generateTestKey('ES256', 'es');
    const rs = await generateTestKey('RS256', 'rs');
    const ps = await generateTestKey('PS256', 'ps');
    const ed = await generateTestKey('EdDSA', 'ed');
    const secret = await generateSecret('HS256', { extractable: true });
    const withoutAlg = await generateTestKey('ES256', 'es-no-alg');
    const rsaWithoutAlg = await generateTestKey('RS256', 'rs-no-alg');
    const privateJwk = { ...(await exportJWK(es.privateKey)), kid: 'private', alg: 'ES256' };
    const keys = await importJwks([
      es.publicJwk,
      rs.publicJwk,
      ps.publicJwk,
      ed.publicJwk,
      { ...(await exportJWK(secret)), kid: 'hmac', alg: 'HS256' },
      { ...withoutAlg.publicJwk, alg: undefined },
      { ...rsaWithoutAlg.publicJwk, alg: undefined },
      { ...es.publicJwk, kid: 'wrong-alg', alg: 'ES384' },
      { ...es.publicJwk, kid: 'encryption', use: 'enc' },
      { ...es.publicJwk, kid: 'no-verify', key_ops: ['encrypt'] },
      privateJwk,
      { ...es.publicJwk, kid: undefined },
      'not a key',
      null,
    ]);
    assert.deepEqual([...keys.keys()].sort(), ['ed', 'es', 'es-no-alg', 'ps', 'rs']);
    assert.equal(keys.get('ps')!.alg, 'PS256');
    assert.equal(keys.get('es-no-alg')!.alg, 'ES256');
  });

  it('trusts neither of two keys published under one kid', async () => {
    const a = await generateTestKey('ES256', 'same');
    const b = await generateTestKey('ES256', 'same');
    const keys = await importJwks([a.publicJwk, b.publicJwk]);
    assert.equal(keys.has('same'), false);
  });
});
