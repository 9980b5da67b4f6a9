import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { SignJWT, exportJWK, exportSPKI, importJWK, jwtVerify, type CryptoKey } from 'jose';
import { createVerifier, gatehouseResource, type Verifier } from '../../packages/resource/src/index.js';
import { AUDIENCE, ISSUER, claimsOf, countingVerifier, generateTestKey, nowSeconds, parseChallenge, rawToken, signToken, staticKeySource, type TestKey } from './helpers.js';

describe('gatehouseResource (Fastify plugin): the RFC 6750 matrix', () => {
  let app: FastifyInstance;
  let verifier: Verifier;
  let es256: TestKey;
  let rs256: TestKey;
  let eddsa: TestKey;
  let attacker: TestKey;

  before(async () => {
    es256 = await generateTestKey('ES256');
    rs256 = await generateTestKey('RS256');
    eddsa = await generateTestKey('EdDSA');
    attacker = await generateTestKey('ES256', es256.kid); // same kid, key the issuer never published
    verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: staticKeySource([es256, rs256, eddsa]) });

    app = Fastify({ logger: false });
    await app.register(gatehouseResource, { verifier });
    const echo = async (request: { accessToken: unknown }) => ({ claims: request.accessToken });
    app.get('/default', echo);
    app.get('/files', { config: { auth: { scopes: ['documents:read'], tenant: 'header' } } }, echo);
    app.get('/write', { config: { auth: { scopes: ['documents:read', 'documents:write'], tenant: 'free' } } }, echo);
    app.get('/free', { config: { auth: { tenant: 'free' } } }, echo);
    app.get('/public', { config: { auth: { public: true } } }, echo);
    app.get('/download', { config: { auth: { queryToken: true, scopes: ['documents:read'], tenant: 'free' } } }, async (request, reply) => {
      // A handler that tries to make a token-bearing URL cacheable does not get its way.
      reply.header('cache-control', 'public, max-age=600');
      return { claims: request.accessToken };
    });
    await app.register(async (child) => {
      child.get('/child/default', echo);
    });
    await app.ready();
  });
  after(async () => {
    await app.close();
    await verifier.close();
  });

  const get = (url: string, headers: Record<string, string | string[]> = {}) => app.inject({ method: 'GET', url, headers });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  /** Asserts an RFC 6750 error answer and returns its challenge. */
  const assertBearerError = (response: LightMyRequestResponse, status: number, error: string | undefined, description?: RegExp) => {
    assert.equal(response.statusCode, status, response.body);
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.match(String(response.headers['content-type']), /^application\/json/);
    const challenge = parseChallenge(response.headers['www-authenticate']);
    assert.equal(challenge.error, error);
    const body = response.json() as Record<string, unknown>;
    assert.equal(body.error, error ?? 'unauthorized');
    assert.equal(body.message, body.error_description);
    if (error !== undefined) assert.equal(challenge.description, body.error_description);
    if (description) assert.match(String(body.error_description), description);
    return challenge;
  };

  describe('accepted tokens', () => {
    it('lets a valid token with the scope and the matching X-Tenant through, and exposes its claims', async () => {
      const token = await signToken(es256, { scope: 'documents:read documents:write' });
      const response = await get('/files', { ...bearer(token), 'x-tenant': 'acme' });
      assert.equal(response.statusCode, 200, response.body);
      const { claims } = response.json() as { claims: Record<string, unknown> };
      assert.equal(claims.client_id, 'client-1');
      assert.equal(claims.tenant, 'acme');
      assert.equal(claims.scope, 'documents:read documents:write');
      assert.equal(response.headers['referrer-policy'], undefined, 'only query-token routes get the extra headers');
    });

    it('treats the scheme name case-insensitively', async () => {
      const token = await signToken(es256);
      for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
        const response = await get('/default', { authorization: `${scheme} ${token}` });
        assert.equal(response.statusCode, 200, `${scheme}: ${response.body}`);
      }
    });

    it('accepts RS256 and EdDSA tokens, and typ in its media-type spellings', async () => {
      for (const key of [rs256, eddsa]) assert.equal((await get('/default', bearer(await signToken(key)))).statusCode, 200, key.alg);
      for (const typ of ['application/at+jwt', 'AT+JWT', 'Application/At+Jwt']) {
        assert.equal((await get('/default', bearer(await signToken(es256, {}, { typ })))).statusCode, 200, typ);
      }
    });

    it('accepts a token expired by less than the 5-second clock tolerance', async () => {
      const token = await signToken(es256, { exp: nowSeconds() - 2 });
      assert.equal((await get('/default', bearer(token))).statusCode, 200);
    });

    it('protects routes registered in child scopes, with the default requirements', async () => {
      assertBearerError(await get('/child/default'), 401, undefined);
      assert.equal((await get('/child/default', bearer(await signToken(es256)))).statusCode, 200);
    });
  });

  describe('no credentials', () => {
    it('answers 401 with a bare challenge (no error attribute, RFC 6750 §3.1)', async () => {
      const response = await get('/default');
      assertBearerError(response, 401, undefined);
      assert.equal(response.headers['www-authenticate'], `Bearer realm="${ISSUER}"`);
      assert.deepEqual(response.json(), { error: 'unauthorized', error_description: 'an access token is required', message: 'an access token is required' });
    });

    it('treats another authentication scheme as no bearer credentials', async () => {
      const response = await get('/default', { authorization: 'Basic dXNlcjpwYXNz' });
      assertBearerError(response, 401, undefined);
    });
  });

  describe('malformed requests: 400 invalid_request', () => {
    it('refuses an empty Bearer credential', async () => {
      for (const value of ['Bearer', 'Bearer ', 'bearer    ']) {
        assertBearerError(await get('/default', { authorization: value }), 400, 'invalid_request', /empty/);
      }
    });

    it('refuses two credentials in one Authorization header', async () => {
      const token = await signToken(es256);
      assertBearerError(await get('/default', { authorization: `Bearer ${token}, Bearer ${token}` }), 400, 'invalid_request', /more than one/);
      assertBearerError(await get('/default', { authorization: `Basic dXNlcjpwYXNz, Bearer ${token}` }), 400, 'invalid_request', /more than one/);
    });

    it('refuses a repeated Authorization header', async () => {
      const token = await signToken(es256);
      const response = await get('/default', { authorization: [`Bearer ${token}`, `Bearer ${token}`] });
      assertBearerError(response, 400, 'invalid_request', /more than one/);
    });

    it('refuses a query token on a route that does not accept it, and says so', async () => {
      const token = await signToken(es256);
      const response = await get(`/default?access_token=${token}`);
      assertBearerError(response, 400, 'invalid_request', /query string/);
      // Even together with a valid header.
      assertBearerError(await get(`/files?access_token=${token}`, { ...bearer(token), 'x-tenant': 'acme' }), 400, 'invalid_request', /query string/);
    });

    it('refuses a token both in the header and in the query, a repeated query token and an empty one', async () => {
      const token = await signToken(es256);
      assertBearerError(await get(`/download?access_token=${token}`, bearer(token)), 400, 'invalid_request', /both/);
      assertBearerError(await get(`/download?access_token=${token}&access_token=${token}`), 400, 'invalid_request', /more than one access_token/);
      assertBearerError(await get('/download?access_token='), 400, 'invalid_request', /empty/);
    });
  });

  describe('invalid tokens: 401 invalid_token', () => {
    const cases: [string, () => Promise<string>, RegExp][] = [
      ['an expired token', () => signToken(es256, { exp: nowSeconds() - 60, iat: nowSeconds() - 3660 }), /expired/],
      ['a token for another audience', () => signToken(es256, { aud: 'https://other.test/api' }), /not meant for this API/],
      ['a token with a list of other audiences', () => signToken(es256, { aud: ['https://a.test', 'https://b.test'] }), /not meant for this API/],
      ['a token from another issuer', () => signToken(es256, { iss: 'https://evil.test' }), /another issuer/],
      ['a token of type JWT', () => signToken(es256, {}, { typ: 'JWT' }), /typ must be at\+jwt/],
      ['a token without typ', () => signToken(es256, {}, { typ: undefined }), /typ must be at\+jwt/],
      ['an ID token typ', () => signToken(es256, {}, { typ: 'application/jwt' }), /typ must be at\+jwt/],
      ['a token without kid', () => signToken(es256, {}, { kid: undefined }), /kid/],
      ['a token with an unknown kid', () => signToken(es256, {}, { kid: 'nobody-knows' }), /unknown key/],
      ['a token signed by another key under a published kid', () => signToken(attacker), /signature is invalid/],
      [
        'the RS256 key material used with PS256',
        async () => {
          const asPss = (await importJWK({ ...(await exportJWK(rs256.privateKey)), alg: 'PS256' }, 'PS256')) as CryptoKey;
          return signToken({ ...rs256, alg: 'PS256', privateKey: asPss });
        },
        /does not match its key/,
      ],
      ['alg none with an empty signature', async () => rawToken({ alg: 'none', typ: 'at+jwt', kid: es256.kid }, claimsOf()), /malformed/],
      ['alg none with a signature', async () => rawToken({ alg: 'none', typ: 'at+jwt', kid: es256.kid }, claimsOf(), 'AAAA'), /algorithm/],
      [
        'HS256 signed with the public key bytes (algorithm confusion)',
        async () => {
          const pem = new TextEncoder().encode(await exportSPKI(es256.publicKey));
          return new SignJWT(claimsOf()).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: es256.kid }).sign(pem);
        },
        /algorithm/,
      ],
      ['a token embedding its own jwk', () => signToken(attacker, {}, { jwk: attacker.publicJwk }), /key/],
      ['a token pointing to a jku', () => signToken(es256, {}, { jku: 'https://evil.test/jwks.json' }), /key/],
      ['a token pointing to an x5u', () => signToken(es256, {}, { x5u: 'https://evil.test/cert.pem' }), /key/],
      ['a token carrying an x5c chain', () => signToken(es256, {}, { x5c: ['MIIB'] }), /key/],
      ['a token with an unknown critical header', () => signToken(es256, {}, { crit: ['urn:example:exp2'], 'urn:example:exp2': 1 }, { crit: { 'urn:example:exp2': true } }), /critical/],
      ['a token without client_id', () => signToken(es256, { client_id: undefined }), /client_id/],
      ['a token without jti', () => signToken(es256, { jti: undefined }), /jti/],
      ['a token without exp', () => signToken(es256, { exp: undefined }), /exp/],
      ['a token without sub', () => signToken(es256, { sub: undefined }), /sub/],
      ['a token without client_epoch', () => signToken(es256, { client_epoch: undefined }), /claims are malformed/],
      ['a token whose scope is not a string', () => signToken(es256, { scope: ['documents:read'] }), /claims are malformed/],
      ['garbage', async () => 'garbage', /malformed/],
      ['three garbage segments', async () => 'a.b.c', /malformed/],
      ['a JWE-shaped token', async () => 'a.b.c.d.e', /malformed/],
      ['an oversized token', async () => `${'a'.repeat(20_000)}.b.c`, /malformed/],
    ];
    for (const [label, make, description] of cases) {
      it(`refuses ${label}`, async () => {
        const token = await make();
        const response = await get('/free', bearer(token));
        assertBearerError(response, 401, 'invalid_token', description);
        const body = response.json() as Record<string, string>;
        if (token.length > 3) {
          assert.ok(!body.error_description!.includes(token) && !String(response.headers['www-authenticate']).includes(token), 'the token is echoed');
        }
      });
    }

    it('never lets a header-injection attempt in the token through the challenge', async () => {
      for (const value of ['Bearer abc"\r\nSet-Cookie: a=b', 'Bearer abc", error="none', 'Bearer a\\"b']) {
        let response: LightMyRequestResponse;
        try {
          response = await get('/free', { authorization: value });
        } catch {
          continue; // the HTTP layer refused the header itself: nothing reached the verifier
        }
        assert.ok([400, 401].includes(response.statusCode), response.body);
        const challenge = parseChallenge(response.headers['www-authenticate']);
        assert.ok(challenge.error === 'invalid_token' || challenge.error === 'invalid_request');
        assert.equal(response.headers['set-cookie'], undefined);
      }
    });

    it('relies on jose to refuse unknown crit too (defence in depth)', async () => {
      const token = await signToken(es256, {}, { crit: ['urn:example:exp2'], 'urn:example:exp2': 1 }, { crit: { 'urn:example:exp2': true } });
      await assert.rejects(jwtVerify(token, es256.publicKey), { code: 'ERR_JOSE_NOT_SUPPORTED' });
    });
  });

  describe('scopes: 403 insufficient_scope', () => {
    it('names every scope the route needs', async () => {
      const token = await signToken(es256, { scope: 'documents:read' });
      const challenge = assertBearerError(await get('/write', bearer(token)), 403, 'insufficient_scope', /lacks the scope documents:write/);
      assert.equal(challenge.scope, 'documents:read documents:write');
    });

    it('treats a token without scope as holding none', async () => {
      const token = await signToken(es256, { scope: undefined });
      const challenge = assertBearerError(await get('/files', { ...bearer(token), 'x-tenant': 'acme' }), 403, 'insufficient_scope');
      assert.equal(challenge.scope, 'documents:read');
      assert.equal((await get('/default', bearer(token))).statusCode, 200, 'a route without scopes needs none');
    });

    it('does not take a scope prefix for the scope', async () => {
      const token = await signToken(es256, { scope: 'documents:readonly documents' });
      assertBearerError(await get('/files', { ...bearer(token), 'x-tenant': 'acme' }), 403, 'insufficient_scope');
    });
  });

  describe('tenants', () => {
    it("requires X-Tenant on a 'header' route", async () => {
      const token = await signToken(es256);
      const response = await get('/files', bearer(token));
      const challenge = assertBearerError(response, 403, 'insufficient_scope', /^the X-Tenant header is required$/);
      assert.equal(challenge.scope, undefined);
      assertBearerError(await get('/files', { ...bearer(token), 'x-tenant': '  ' }), 403, 'insufficient_scope', /required/);
    });

    it("refuses a token of another tenant on a 'header' route, naming the tenant asked for", async () => {
      const token = await signToken(es256, { tenant: 'acme' });
      assertBearerError(await get('/files', { ...bearer(token), 'x-tenant': 'globex' }), 403, 'insufficient_scope', /^the access token is not valid for tenant globex$/);
    });

    it('does not reflect a crafted X-Tenant value', async () => {
      const token = await signToken(es256);
      for (const tenant of ['acme", error="invalid_request', 'acme\\', `x${'y'.repeat(100)}`, 'acme\u00e9', '<script>alert(1)</script>']) {
        const response = await get('/files', { ...bearer(token), 'x-tenant': tenant });
        assertBearerError(response, 403, 'insufficient_scope', /^the access token is not valid for the tenant named in X-Tenant$/);
      }
    });

    it('refuses a repeated X-Tenant header', async () => {
      const token = await signToken(es256);
      const response = await get('/files', { ...bearer(token), 'x-tenant': ['acme', 'acme'] });
      assert.equal(response.statusCode, 403);
      parseChallenge(response.headers['www-authenticate']);
    });

    it('keeps tenant-free tokens to tenant-free routes', async () => {
      const token = await signToken(es256, { tenant: undefined });
      assertBearerError(await get('/default', bearer(token)), 403, 'insufficient_scope', /^a tenant-free token can only reach tenant-free routes$/);
      assertBearerError(await get('/files', { ...bearer(token), 'x-tenant': 'acme' }), 403, 'insufficient_scope', /tenant-free/);
      assert.equal((await get('/free', bearer(token))).statusCode, 200);
    });

    it("lets tokens of any tenant reach a 'free' route, whatever X-Tenant says", async () => {
      const token = await signToken(es256, { tenant: 'acme' });
      assert.equal((await get('/free', { ...bearer(token), 'x-tenant': 'globex' })).statusCode, 200);
    });
  });

  describe('public routes', () => {
    it('need no token, and ignore whatever is sent', async () => {
      for (const headers of [{}, { authorization: 'Bearer garbage' }, { authorization: 'Bearer' }] as Record<string, string>[]) {
        const response = await get('/public', headers);
        assert.equal(response.statusCode, 200);
        assert.deepEqual(response.json(), { claims: null });
        assert.equal(response.headers['www-authenticate'], undefined);
      }
    });

    it('leave unknown URLs to the 404 handler', async () => {
      assert.equal((await get('/nowhere')).statusCode, 404);
    });
  });

  describe('query tokens (RFC 6750 §2.3), on routes that opt in', () => {
    it('accepts ?access_token= and marks the response no-store, no-referrer', async () => {
      const token = await signToken(es256);
      const response = await get(`/download?access_token=${token}&name=contract.pdf`);
      assert.equal(response.statusCode, 200, response.body);
      assert.equal((response.json() as { claims: { jti: string } }).claims.jti.length > 0, true);
      assert.equal(response.headers['cache-control'], 'no-store');
      assert.equal(response.headers['referrer-policy'], 'no-referrer');
    });

    it('still accepts the Authorization header there, with the same response headers', async () => {
      const response = await get('/download', bearer(await signToken(es256)));
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['cache-control'], 'no-store');
      assert.equal(response.headers['referrer-policy'], 'no-referrer');
    });

    it('puts the same headers on its error responses', async () => {
      const response = await get('/download?access_token=garbage');
      assertBearerError(response, 401, 'invalid_token');
      assert.equal(response.headers['referrer-policy'], 'no-referrer');
      const scope = await get(`/download?access_token=${await signToken(es256, { scope: undefined })}`);
      assertBearerError(scope, 403, 'insufficient_scope');
    });
  });
});

describe('createVerifier().verify without a framework', () => {
  let key: TestKey;
  let verifier: Verifier;
  before(async () => {
    key = await generateTestKey('ES256');
    verifier = createVerifier({ issuer: ISSUER, audience: [AUDIENCE, 'https://legacy.test/api'], realm: 'documents "v2"', keys: staticKeySource([key]) });
  });

  it('takes a web Request', async () => {
    const token = await signToken(key);
    const request = new Request('https://api.test/files/1', { headers: { authorization: `Bearer ${token}`, 'x-tenant': 'acme' } });
    const claims = await verifier.verify(request, { scopes: ['documents:read'], tenant: 'header' });
    assert.equal(claims.tenant, 'acme');
  });

  it('takes a plain object with mixed-case header names and a path URL', async () => {
    const token = await signToken(key);
    const claims = await verifier.verify({ headers: { Authorization: `Bearer ${token}`, 'X-Tenant': 'acme' }, url: '/files/1?x=1' }, { tenant: 'header' });
    assert.equal(claims.client_id, 'client-1');
  });

  it('takes the query token from a path URL', async () => {
    const token = await signToken(key);
    const claims = await verifier.verify({ headers: {}, url: `/download/1?access_token=${token}` }, { queryToken: true });
    assert.equal(claims.sub, 'client-1');
  });

  it('accepts any of several audiences', async () => {
    const token = await signToken(key, { aud: 'https://legacy.test/api' });
    assert.equal((await verifier.verify({ headers: { authorization: `Bearer ${token}` }, url: '/' })).aud, 'https://legacy.test/api');
  });

  it('refuses two credentials joined by Headers', async () => {
    const headers = new Headers();
    headers.append('authorization', 'Bearer a.b.c');
    headers.append('authorization', 'Bearer d.e.f');
    await assert.rejects(verifier.verify({ headers, url: '/' }), { name: 'BearerError', status: 400, code: 'invalid_request' });
  });

  it('resolves to null on a public route without looking at the request', async () => {
    assert.equal(await verifier.verify({ headers: { authorization: 'Bearer' }, url: '/?access_token=x' }, { public: true }), null);
  });

  it('quotes the realm safely in the challenge', async () => {
    const error = await verifier.verify({ headers: {}, url: '/' }).then(
      () => assert.fail('verified'),
      (e: unknown) => e as { wwwAuthenticate: string; status: number; code: unknown },
    );
    assert.equal(error.status, 401);
    assert.equal(error.code, undefined);
    assert.equal(error.wwwAuthenticate, 'Bearer realm="documents \\"v2\\""');
  });

  it('uses the injected clock for expiry', async () => {
    const now = Date.now();
    const clocked = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: staticKeySource([key]), clock: () => now + 2 * 3600_000, clockTolerance: 0 });
    const token = await signToken(key);
    await assert.rejects(clocked.verify({ headers: { authorization: `Bearer ${token}` }, url: '/' }, { tenant: 'free' }), /expired/);
  });

  it('reports a throwing KeySource as an unknown key, and tells onError', async () => {
    const seen: unknown[] = [];
    const failing = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: { getKey: async () => Promise.reject(new Error('boom')) },
      onError: (error) => seen.push(error),
    });
    const token = await signToken(key);
    await assert.rejects(failing.verify({ headers: { authorization: `Bearer ${token}` }, url: '/' }), { status: 401, code: 'invalid_token', description: 'the access token is signed with an unknown key' });
    assert.equal(seen.length, 1);
  });

  it('refuses a misconfiguration at creation', () => {
    assert.throws(() => createVerifier({ issuer: '', audience: AUDIENCE }), TypeError);
    assert.throws(() => createVerifier({ issuer: ISSUER, audience: [] }), TypeError);
    assert.throws(
      () => createVerifier({ issuer: ISSUER, audience: AUDIENCE, revocations: { fetchChanges: async () => ({ revision: 0, clients: [], tokens: [], withdrawn_keys: [] }) }, revocationFeed: { clientId: 'a', clientSecret: 'b' } }),
      TypeError,
    );
  });

  it('never accepts HS256 even from a KeySource that hands out a secret for it', async () => {
    const secret = new TextEncoder().encode('x'.repeat(32));
    const hs = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: { getKey: async () => ({ key: secret as never, alg: 'HS256' }) } });
    const token = await new SignJWT(claimsOf()).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: 'k' }).sign(secret);
    await assert.rejects(hs.verify({ headers: { authorization: `Bearer ${token}` }, url: '/' }, { tenant: 'free' }), { code: 'invalid_token' });
  });
});

describe('gatehouseResource: a token seen before is answered without a promise (verifyNow)', () => {
  it('verify() only for the first sight; later requests get the same claims and the same RFC 6750 answers', async () => {
    const key = await generateTestKey();
    const real = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: staticKeySource([key]) });
    const counted = countingVerifier(real);
    const app = Fastify({ logger: false });
    await app.register(gatehouseResource, { verifier: counted });
    app.get('/files', { config: { auth: { scopes: ['documents:read'], tenant: 'header' } } }, async (request) => ({ claims: request.accessToken }));
    app.get('/write', { config: { auth: { scopes: ['documents:write'], tenant: 'free' } } }, async () => ({}));
    try {
      const token = await signToken(key, { scope: 'documents:read' });
      const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}`, 'x-tenant': 'acme', ...headers } });
      const first = await get('/files');
      assert.equal(first.statusCode, 200);
      assert.equal(counted.verifyCalls, 1);
      const second = await get('/files');
      assert.equal(second.statusCode, 200);
      assert.deepEqual(second.json(), first.json(), 'the same claims on request.accessToken');
      const forbidden = await get('/write');
      assert.equal(forbidden.statusCode, 403);
      assert.match(String(forbidden.headers['www-authenticate']), /error="insufficient_scope"/);
      assert.equal(forbidden.json().error, 'insufficient_scope');
      const wrongTenant = await get('/files', { 'x-tenant': 'beta' });
      assert.equal(wrongTenant.statusCode, 403);
      assert.equal(counted.verifyCalls, 1, 'no further verify() call: every later answer came from verifyNow');
    } finally {
      await app.close();
    }
  });

  it('a verifyNow that fails unexpectedly is a server error, not an open door', async () => {
    const app = Fastify({ logger: false });
    const broken: Verifier = {
      verify: (async () => ({})) as unknown as Verifier['verify'],
      verifyNow: () => {
        throw new Error('boom');
      },
      ready: async () => {},
      close: async () => {},
    };
    await app.register(gatehouseResource, { verifier: broken });
    app.get('/files', async () => ({ reached: true }));
    try {
      const response = await app.inject({ method: 'GET', url: '/files', headers: { authorization: 'Bearer abc' } });
      assert.equal(response.statusCode, 500);
      assert.doesNotMatch(response.body, /reached/);
    } finally {
      await app.close();
    }
  });
});

// Type-level checks (compiled by tsc, never run): route config and the request decoration are typed.
function typeChecks(app: FastifyInstance, verifier: Verifier): void {
  // @ts-expect-error: not a tenant requirement
  app.get('/x', { config: { auth: { tenant: 'nope' } } }, async () => ({}));
  app.get('/y', { config: { auth: { scopes: ['a'], tenant: 'header', queryToken: true } } }, async (request) => {
    const tenant: string | undefined = request.accessToken?.tenant;
    return { tenant };
  });
  void (async () => {
    const claims = await verifier.verify({ headers: {}, url: '/' });
    const clientId: string = claims.client_id; // not nullable without `public: true`
    const none: null = await verifier.verify({ headers: {}, url: '/' }, { public: true });
    return [clientId, none];
  });
}
void typeChecks;
