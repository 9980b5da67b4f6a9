import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient, createTestGatehouse, introspect, type TestClient, type TestGatehouse } from '../helpers/gatehouse.js';
import { authorizeThroughPages } from '../helpers/authorize-pages.js';
import { exchangeCode, issueCode, REDIRECT_URI, refresh, type TokenPair } from '../helpers/user-delegation.js';
import { jwtPayload, pkcePair } from '../helpers/tokens.js';

describe('POST /oauth/token grant_type=authorization_code (RFC 6749 §4.1.3, RFC 7636)', () => {
  let t: TestGatehouse;
  let app: TestClient;
  let other: TestClient;
  let noRefresh: TestClient;
  let publicClientId: string;
  let userId: string;

  const withRefresh = { grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [REDIRECT_URI] };

  before(async () => {
    t = await createTestGatehouse();
    await t.gatehouse.admin.tenants.create({ slug: 'globex' });
    app = await createClient(t.gatehouse, { tenant: 'acme', name: 'Signing app', ...withRefresh });
    other = await createClient(t.gatehouse, { tenant: 'acme', name: 'Other app', ...withRefresh });
    noRefresh = await createClient(t.gatehouse, { tenant: 'acme', name: 'No refresh', grantTypes: ['authorization_code'], redirectUris: [REDIRECT_URI] });
    const { client } = await t.gatehouse.admin.clients.create({ tenant: 'acme', name: 'SPA', isPublic: true, scope: 'documents:read', ...withRefresh });
    publicClientId = client.id;
    const user = await t.gatehouse.admin.users.create({ tenant: 'acme', username: 'alice', password: 'correct horse battery' });
    await t.gatehouse.admin.users.addToTenant('alice', 'globex');
    userId = user.id;
  });
  after(() => t.close());

  const codeFor = (client: { clientId: string }, input: Partial<Parameters<typeof issueCode>[1]> = {}) =>
    issueCode(t.gatehouse, { clientId: client.clientId, userId, tenants: ['acme', 'globex'], scope: ['documents:read', 'documents:write'], ...input });

  /** A code from the real authorization endpoint, its request carrying redirect_uri or not. */
  const codeThroughAuthorizeEndpoint = async (sendRedirectUri: boolean) => {
    const { verifier, challenge } = pkcePair();
    const query: Record<string, string> = { client_id: app.clientId, scope: 'documents:read', code_challenge: challenge, code_challenge_method: 'S256' };
    if (sendRedirectUri) query.redirect_uri = REDIRECT_URI;
    const { location } = await authorizeThroughPages(t.app, { query, username: 'alice', password: 'correct horse battery', consent: [['tenant', 'acme']] });
    return { code: location.searchParams.get('code') ?? assert.fail(`no code in ${location}`), verifier };
  };

  const assertError = (response: { statusCode: number; json(): unknown }, error: string, status = 400) => {
    assert.equal(response.statusCode, status, JSON.stringify(response.json()));
    assert.equal((response.json() as { error: string }).error, error);
  };

  it('exchanges a code for an access token of the requested tenant and a refresh token', async () => {
    const { code, verifier } = await codeFor(app);
    const response = await exchangeCode(t.app, app, code, { code_verifier: verifier, tenant: 'globex' });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.headers['cache-control'], 'no-store');
    const body = response.json() as TokenPair;
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.scope, 'documents:read documents:write');
    assert.match(body.refresh_token, /^gatehouse_rt_[A-Za-z0-9_-]{43}$/);
    const claims = jwtPayload(body.access_token);
    assert.equal(claims.sub, userId);
    assert.equal(claims.client_id, app.clientId);
    assert.equal(claims.tenant, 'globex');
    assert.equal(claims.scope, 'documents:read documents:write');
    assert.equal(typeof claims.grant_id, 'string');
    const described = await introspect(t.app, other, body.access_token);
    assert.equal(described.active, true);
    assert.equal(described.sub, userId);
    // The grant keeps every tenant the user granted; the token names one.
    const stored = await t.gatehouse.storage.grants.findGrant(claims.grant_id as string);
    assert.deepEqual(stored?.tenants, ['acme', 'globex']);
  });

  it('mints a tenant-free access token without the tenant parameter', async () => {
    const { code, verifier } = await codeFor(app);
    const response = await exchangeCode(t.app, app, code, { code_verifier: verifier });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(jwtPayload((response.json() as TokenPair).access_token).tenant, undefined);
  });

  it('refuses a tenant the user did not grant with invalid_target, and issues nothing', async () => {
    const { code, verifier } = await codeFor(app, { tenants: ['acme'] });
    const response = await exchangeCode(t.app, app, code, { code_verifier: verifier, tenant: 'globex' });
    assertError(response, 'invalid_target');
    assert.match((response.json() as { error_description: string }).error_description, /did not grant access to the tenant named by the tenant parameter \(granted: acme\)/);
  });

  it('issues no refresh token to a client without the refresh_token grant', async () => {
    const { code, verifier } = await codeFor(noRefresh);
    const response = await exchangeCode(t.app, noRefresh, code, { code_verifier: verifier });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal((response.json() as Partial<TokenPair>).refresh_token, undefined);
  });

  it('rejects a code redeemed twice and revokes the tokens issued from it', async () => {
    const { code, verifier } = await codeFor(app);
    const first = await exchangeCode(t.app, app, code, { code_verifier: verifier });
    assert.equal(first.statusCode, 200, first.body);
    const issued = first.json() as TokenPair;
    assert.equal((await introspect(t.app, other, issued.access_token)).active, true);

    assertError(await exchangeCode(t.app, app, code, { code_verifier: verifier }), 'invalid_grant');
    assert.deepEqual(await introspect(t.app, other, issued.access_token), { active: false });
    assertError(await refresh(t.app, app, issued.refresh_token), 'invalid_grant');
  });

  describe('a request that does not prove itself changes nothing (issue 16: a code thief cannot deny service)', () => {
    const badProofs = (verifier: string): [string, TestClient | { clientId: string }, Record<string, string | undefined>][] => [
      ['a wrong code_verifier', app, { code_verifier: pkcePair().verifier }],
      ['no code_verifier', app, { code_verifier: undefined }],
      ['another redirect_uri', app, { code_verifier: verifier, redirect_uri: 'https://app.example.com/Callback' }],
      ['no redirect_uri', app, { code_verifier: verifier, redirect_uri: undefined }],
      ['another client, authenticated', other, { code_verifier: verifier }],
      ['a public client of the same tenant', { clientId: publicClientId }, { code_verifier: verifier }],
    ];

    it('an unredeemed code survives every bad proof, and a wrong client secret, and is then exchanged', async () => {
      const { code, verifier } = await codeFor(app);
      for (const [what, client, extra] of badProofs(verifier!)) {
        const response = await exchangeCode(t.app, client, code, extra);
        assert.equal(response.statusCode, 400, `${what}: ${response.body}`);
      }
      const wrongSecret = await exchangeCode(t.app, { ...app, secret: `${app.secret}x` }, code, { code_verifier: verifier });
      assert.equal(wrongSecret.statusCode, 401);
      const exchanged = await exchangeCode(t.app, app, code, { code_verifier: verifier });
      assert.equal(exchanged.statusCode, 200, exchanged.body);
    });

    it('a replay with a bad proof revokes nothing; a replay that proves itself revokes what the code issued', async () => {
      const { code, verifier } = await codeFor(app);
      const first = await exchangeCode(t.app, app, code, { code_verifier: verifier });
      assert.equal(first.statusCode, 200, first.body);
      let issued = first.json() as TokenPair;
      const replaysBefore = (await t.gatehouse.audit.list({ action: 'authorization_code.replay', limit: 100 })).events.length;

      for (const [what, client, extra] of badProofs(verifier!)) {
        const response = await exchangeCode(t.app, client, code, extra);
        assert.equal(response.statusCode, 400, `${what}: ${response.body}`);
        assert.equal((response.json() as { error: string }).error, 'invalid_grant', what);
      }
      assert.equal((await exchangeCode(t.app, { ...app, secret: `${app.secret}x` }, code, { code_verifier: verifier })).statusCode, 401);
      assert.equal((await introspect(t.app, other, issued.access_token)).active, true, 'the access token survives');
      const refreshed = await refresh(t.app, app, issued.refresh_token);
      assert.equal(refreshed.statusCode, 200, `the refresh token survives: ${refreshed.body}`);
      issued = refreshed.json() as TokenPair;
      assert.equal((await t.gatehouse.audit.list({ action: 'authorization_code.replay', limit: 100 })).events.length, replaysBefore, 'no replay recorded');

      assertError(await exchangeCode(t.app, app, code, { code_verifier: verifier }), 'invalid_grant');
      assert.deepEqual(await introspect(t.app, other, issued.access_token), { active: false });
      assertError(await refresh(t.app, app, issued.refresh_token), 'invalid_grant');
    });
  });

  it('refuses unknown and expired codes with invalid_grant', async () => {
    assertError(await exchangeCode(t.app, app, 'gatehouse_ac_not-a-real-code'), 'invalid_grant');
    const { code, verifier } = await codeFor(app, { expiresAt: Date.now() - 1 });
    assertError(await exchangeCode(t.app, app, code, { code_verifier: verifier }), 'invalid_grant');
  });

  it('refuses a code issued to another client, without spending it', async () => {
    const { code, verifier } = await codeFor(app);
    assertError(await exchangeCode(t.app, other, code, { code_verifier: verifier }), 'invalid_grant');
    assert.equal((await exchangeCode(t.app, app, code, { code_verifier: verifier })).statusCode, 200);
  });

  it('requires the redirect_uri of the authorization request, character for character', async () => {
    const { code, verifier } = await codeFor(app);
    assertError(await exchangeCode(t.app, app, code, { code_verifier: verifier, redirect_uri: `${REDIRECT_URI}/` }), 'invalid_grant');
  });

  it('lets the token request leave redirect_uri out only when the authorization request did (RFC 6749 §3.1.2.3, §4.1.3)', async () => {
    const { code, verifier } = await codeFor(app, { redirectUri: null });
    assert.equal((await exchangeCode(t.app, app, code, { code_verifier: verifier, redirect_uri: undefined })).statusCode, 200);
  });

  it('requires redirect_uri when the authorization request carried it, from a client with a single registered URI too (invalid_grant)', async () => {
    const { code, verifier } = await codeFor(app);
    const response = await exchangeCode(t.app, app, code, { code_verifier: verifier, redirect_uri: undefined });
    assertError(response, 'invalid_grant');
    assert.match((response.json() as { error_description: string }).error_description, /redirect_uri parameter is required/);
  });

  it('requires redirect_uri from a client with several registered redirect URIs (invalid_grant)', async () => {
    const several = await createClient(t.gatehouse, { tenant: 'acme', name: 'Two URIs', ...withRefresh, redirectUris: [REDIRECT_URI, 'https://app.example.com/other'] });
    const { code, verifier } = await codeFor(several);
    assertError(await exchangeCode(t.app, several, code, { code_verifier: verifier, redirect_uri: undefined }), 'invalid_grant');
  });

  it('through the authorization endpoint: a redirect_uri sent there must be sent again; one left out there may be left out', async () => {
    for (const sent of [true, false]) {
      const { code, verifier } = await codeThroughAuthorizeEndpoint(sent);
      const omitted = await exchangeCode(t.app, app, code, { code_verifier: verifier, redirect_uri: undefined });
      assert.equal(omitted.statusCode, sent ? 400 : 200, omitted.body);
      if (sent) assert.equal((omitted.json() as { error: string }).error, 'invalid_grant');
    }
  });

  describe('PKCE (RFC 7636, RFC 9700 §4.8.2)', () => {
    it('refuses a code_verifier for a code issued without a challenge (downgrade)', async () => {
      const { code } = await codeFor(app, { challenge: null });
      assertError(await exchangeCode(t.app, app, code, { code_verifier: pkcePair().verifier }), 'invalid_grant');
    });

    it('accepts a confidential client\'s code issued without a challenge when no verifier is sent', async () => {
      const { code } = await codeFor(app, { challenge: null });
      assert.equal((await exchangeCode(t.app, app, code)).statusCode, 200);
    });

    it('requires the verifier when the code has a challenge', async () => {
      const { code } = await codeFor(app);
      assertError(await exchangeCode(t.app, app, code), 'invalid_grant');
    });

    it('refuses a wrong verifier', async () => {
      const { code } = await codeFor(app);
      assertError(await exchangeCode(t.app, app, code, { code_verifier: pkcePair().verifier }), 'invalid_grant');
    });

    it('refuses the plain method: the challenge itself is not a valid verifier', async () => {
      const { verifier, challenge } = pkcePair();
      const { code } = await codeFor(app, { challenge });
      assertError(await exchangeCode(t.app, app, code, { code_verifier: challenge }), 'invalid_grant');
      // A request that does not prove itself does not spend the code.
      assert.equal((await exchangeCode(t.app, app, code, { code_verifier: verifier })).statusCode, 200);
    });

    it('refuses a malformed verifier as invalid_request without spending the code', async () => {
      const { code, verifier } = await codeFor(app);
      for (const bad of ['short', 'a'.repeat(129), `${'a'.repeat(42)}+`]) {
        assertError(await exchangeCode(t.app, app, code, { code_verifier: bad }), 'invalid_request');
      }
      assert.equal((await exchangeCode(t.app, app, code, { code_verifier: verifier })).statusCode, 200);
    });

    it('lets a public client exchange its code with PKCE, and refuses its code without a challenge', async () => {
      const spa = { clientId: publicClientId };
      const { code, verifier } = await codeFor(spa, { scope: ['documents:read'] });
      const response = await exchangeCode(t.app, spa, code, { code_verifier: verifier });
      assert.equal(response.statusCode, 200, response.body);
      assert.match((response.json() as TokenPair).refresh_token, /^gatehouse_rt_/);
      const bare = await codeFor(spa, { challenge: null });
      assertError(await exchangeCode(t.app, spa, bare.code), 'invalid_grant');
    });
  });

  it('refuses the code of a user disabled since', async () => {
    const user = await t.gatehouse.admin.users.create({ tenant: 'acme', username: 'mallory', password: 'correct horse battery' });
    const { code, verifier } = await issueCode(t.gatehouse, { clientId: app.clientId, userId: user.id });
    await t.gatehouse.admin.users.disable('mallory');
    assertError(await exchangeCode(t.app, app, code, { code_verifier: verifier }), 'invalid_grant');
  });

  it('is advertised in the server metadata with the refresh_token grant', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' });
    const types = (response.json() as { grant_types_supported: string[] }).grant_types_supported;
    assert.ok(types.includes('authorization_code') && types.includes('refresh_token'), types.join(' '));
  });
});
