import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { createClient, createTestGatehouse, getToken, introspect, TEST_ISSUER, type TestClient, type TestGatehouse } from '../helpers/gatehouse.js';
import { jwtHeader } from '../helpers/tokens.js';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

describe('GET /.well-known/jwks.json', () => {
  let t: TestGatehouse;
  let client: TestClient;

  before(async () => {
    t = await createTestGatehouse();
    client = await createClient(t.gatehouse, { tenant: 'acme' });
  });
  after(() => t.close());

  const jwks = async () => {
    const response = await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    assert.equal(response.statusCode, 200);
    return { response, body: response.json() as { keys: Record<string, unknown>[] } };
  };

  it('publishes the signing key with public members only and a cache lifetime', async () => {
    const { response, body } = await jwks();
    assert.match(String(response.headers['content-type']), /^application\/jwk-set\+json/);
    assert.equal(response.headers['cache-control'], 'public, max-age=300');
    assert.equal(body.keys.length, 1);
    const [key] = body.keys;
    assert.deepEqual(Object.keys(key!).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    assert.equal(key!.alg, 'ES256');
    assert.equal(key!.use, 'sig');
    for (const member of PRIVATE_MEMBERS) assert.equal(key![member], undefined);
  });

  it('keys rotate: the new key signs at once, the old one stays published and its tokens stay valid', async () => {
    const before = await getToken(t.app, client);
    const oldKid = jwtHeader(before).kid;
    const rotated = await t.gatehouse.admin.keys.rotate('ES256');
    t.gatehouse.keys.invalidate();
    const afterRotation = await getToken(t.app, client);
    assert.equal(jwtHeader(afterRotation).kid, rotated.kid);
    assert.notEqual(rotated.kid, oldKid);

    const { body } = await jwks();
    assert.deepEqual(body.keys.map((k) => k.kid).sort(), [oldKid, rotated.kid].sort());
    const keySet = createLocalJWKSet(body as never);
    for (const token of [before, afterRotation]) await jwtVerify(token, keySet, { issuer: TEST_ISSUER, typ: 'at+jwt' });
    assert.equal((await introspect(t.app, client, before)).active, true);
  });

  it('keys rotate --alg RS256: RS256 tokens, RSA public key without private members', async () => {
    const rsa = await t.gatehouse.admin.keys.rotate('RS256');
    t.gatehouse.keys.invalidate();
    const token = await getToken(t.app, client);
    assert.equal(jwtHeader(token).alg, 'RS256');
    const { body } = await jwks();
    const published = body.keys.find((k) => k.kid === rsa.kid)!;
    assert.deepEqual(Object.keys(published).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use']);
    await jwtVerify(token, createLocalJWKSet(body as never), { issuer: TEST_ISSUER, typ: 'at+jwt', algorithms: ['RS256'] });
    assert.equal((await introspect(t.app, client, token)).active, true);
  });

  it('keys rotate without --alg keeps the algorithm of the active key', async () => {
    await t.gatehouse.admin.keys.rotate('RS256');
    const next = await t.gatehouse.admin.keys.rotate();
    assert.equal(next.alg, 'RS256');
    const es = await t.gatehouse.admin.keys.rotate('ES256');
    assert.equal(es.alg, 'ES256');
  });

  it('withdraws a compromised retired key at once: gone from the JWKS, its tokens inactive', async () => {
    t.gatehouse.keys.invalidate();
    const signedByOld = await getToken(t.app, client);
    const oldKid = jwtHeader(signedByOld).kid as string;
    await assert.rejects(t.gatehouse.admin.keys.withdraw(oldKid), /active signing key/, 'the active key cannot be withdrawn');
    await t.gatehouse.admin.keys.rotate();
    await t.gatehouse.admin.keys.withdraw(oldKid);
    t.gatehouse.keys.invalidate();
    const { body } = await jwks();
    assert.ok(!body.keys.some((k) => k.kid === oldKid));
    assert.deepEqual(await introspect(t.app, client, signedByOld), { active: false });
    await assert.rejects(t.gatehouse.admin.keys.withdraw('no-such-kid'), /no signing key/);
  });

  it('refuses client and tenant lifetimes above maxAccessTokenTtl', async () => {
    await assert.rejects(t.gatehouse.admin.clients.create({ tenant: 'acme', name: 'x', accessTokenTtl: 86_401 }), /exceeds the maximum of 1d/);
    await assert.rejects(t.gatehouse.admin.tenants.create({ slug: 'too-long', accessTokenTtl: 100 * 365 * 86_400 }), /exceeds the maximum/);
  });

  it('never stores a private key in the clear', async () => {
    const keys = await t.gatehouse.storage.keys.listPublishedKeys(Date.now());
    for (const key of keys) {
      assert.match(key.sealedPrivateJwk, /^v1\./);
      assert.ok(!key.sealedPrivateJwk.includes('"d"'));
    }
  });
});

describe('retired key retention', () => {
  let t: TestGatehouse;
  let offset = 0;

  before(async () => {
    t = await createTestGatehouse({ clock: () => Date.now() + offset, config: { maxAccessTokenTtl: 43_200 } });
  });
  after(() => t.close());

  const kids = async () => {
    t.gatehouse.keys.invalidate();
    return (await t.gatehouse.keys.jwks()).keys.map((k) => k.kid);
  };

  it('keeps a retired key published for maxAccessTokenTtl plus five minutes, decided by the server', async () => {
    const [oldKid] = await kids();
    const rotated = await t.gatehouse.admin.keys.rotate();
    assert.deepEqual((await kids()).sort(), [oldKid, rotated.kid].sort());
    const retention = (43_200 + 300) * 1000;
    offset = retention - 1000;
    assert.ok((await kids()).includes(oldKid), 'still published one second before the end');
    offset = retention + 1000;
    assert.deepEqual(await kids(), [rotated.kid], 'gone once every token it signed has expired');
  });
});

describe('GET /.well-known/oauth-authorization-server (RFC 8414)', () => {
  let t: TestGatehouse;

  before(async () => {
    t = await createTestGatehouse();
    await createClient(t.gatehouse, { tenant: 'acme', scope: 'documents:read documents:write documents:delete', defaultScope: 'documents:read' });
  });
  after(() => t.close());

  it('describes the endpoints, grants and auth methods, and lists no tenant scopes (issue 16)', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['cache-control'], 'public, max-age=300');
    const metadata = response.json();
    assert.equal(metadata.issuer, TEST_ISSUER);
    assert.equal(metadata.token_endpoint, `${TEST_ISSUER}/oauth/token`);
    assert.equal(metadata.jwks_uri, `${TEST_ISSUER}/.well-known/jwks.json`);
    assert.equal(metadata.introspection_endpoint, `${TEST_ISSUER}/oauth/introspect`);
    assert.equal(metadata.revocation_endpoint, `${TEST_ISSUER}/oauth/revoke`);
    assert.deepEqual(metadata.grant_types_supported, ['client_credentials', 'authorization_code', 'refresh_token']);
    assert.deepEqual(metadata.token_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post']);
    // RFC 8414 §2: scopes_supported is only RECOMMENDED; every tenant's scope names would leak to anyone.
    assert.equal('scopes_supported' in metadata, false);
    assert.doesNotMatch(response.body, /documents:/);
    assert.ok(Array.isArray(metadata.response_types_supported));
  });

  it('advertises client_id-only revocation for public clients', async () => {
    const metadata = (await t.app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' })).json();
    assert.deepEqual(metadata.revocation_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post', 'none']);
    assert.deepEqual(metadata.introspection_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post']);
  });

  it('serves the metadata of an issuer with a path at the RFC 8414 §3.1 location too', async () => {
    const pathIssuer = await createTestGatehouse({ config: { issuer: 'https://auth.example.com/tenant-auth' } });
    try {
      for (const url of ['/.well-known/oauth-authorization-server/tenant-auth', '/.well-known/oauth-authorization-server']) {
        const response = await pathIssuer.app.inject({ method: 'GET', url });
        assert.equal(response.statusCode, 200);
        assert.equal(response.json().issuer, 'https://auth.example.com/tenant-auth');
        assert.equal(response.json().token_endpoint, 'https://auth.example.com/tenant-auth/oauth/token');
      }
    } finally {
      await pathIssuer.close();
    }
  });

  it('the jwks_uri it advertises serves the keys that verify its tokens', async () => {
    const metadata = (await t.app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' })).json();
    const path = new URL(metadata.jwks_uri).pathname;
    const jwks = (await t.app.inject({ method: 'GET', url: path })).json();
    assert.ok(jwks.keys.length >= 1);
  });
});

describe('other routes', () => {
  let t: TestGatehouse;
  before(async () => {
    t = await createTestGatehouse();
  });
  after(() => t.close());

  it('GET /healthz answers ok when storage answers', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'ok' });
  });

  it('an unknown route is a JSON 404 with security headers', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/nope?token=abc' });
    assert.equal(response.statusCode, 404);
    assert.equal(response.json().error, 'not_found');
    assert.ok(!response.body.includes('abc'), 'the query string is not echoed');
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
    assert.equal(response.headers['x-frame-options'], 'DENY');
  });

  it('GET on the OAuth endpoints is 405 invalid_request with Allow: POST', async () => {
    for (const url of ['/oauth/token?grant_type=client_credentials', '/oauth/introspect', '/oauth/revoke']) {
      const response = await t.app.inject({ method: 'GET', url });
      assert.equal(response.statusCode, 405);
      assert.equal(response.headers.allow, 'POST');
      assert.equal(response.json().error, 'invalid_request');
    }
  });
});
