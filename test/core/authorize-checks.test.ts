import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPkce, checkPrompt, checkRedirectUri, checkResponseType, checkScope, checkTenantHint, parseAuthorizationParams, redirectUriMatches } from '../../packages/server/src/core/authorize/checks.js';
import { hintedTenant, preCheckedTenants } from '../../packages/server/src/core/authorize/complete.js';
import { buildRedirect } from '../../packages/server/src/core/authorize/redirect.js';
import { authorizationSessionKey, newAuthorizationSession, openAuthorizationSession, sealAuthorizationSession } from '../../packages/server/src/core/authorize/session.js';
import { AuthorizationPageError } from '../../packages/server/src/core/authorize/types.js';
import { OAuthError } from '../../packages/server/src/core/errors.js';
import { escapeHtml, html } from '../../packages/server/src/web/html.js';

const params = (query: string) => parseAuthorizationParams(query);
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe('authorization checks, each alone', () => {
  it('redirectUriMatches: exact string, or a loopback URI on another port only', () => {
    assert.equal(redirectUriMatches('https://a.example/cb', 'https://a.example/cb'), true);
    assert.equal(redirectUriMatches('https://a.example/cb/', 'https://a.example/cb'), false);
    assert.equal(redirectUriMatches('http://127.0.0.1:4000/cb', 'http://127.0.0.1/cb'), true);
    assert.equal(redirectUriMatches('http://127.0.0.1:4000/cb', 'http://127.0.0.1:5000/cb'), true);
    assert.equal(redirectUriMatches('http://[::1]:4000/cb', 'http://[::1]/cb'), true);
    assert.equal(redirectUriMatches('http://127.0.0.1:4000/cb', 'http://[::1]/cb'), false);
    assert.equal(redirectUriMatches('http://127.0.0.1:99999/cb', 'http://127.0.0.1/cb'), false);
    assert.equal(redirectUriMatches('https://127.0.0.1:4000/cb', 'https://127.0.0.1/cb'), false, 'only http loopback');
  });

  it('checkRedirectUri: error pages for unregistered, ambiguous or absent registrations', () => {
    assert.throws(() => checkRedirectUri(params(''), { redirectUris: [] }), AuthorizationPageError);
    assert.throws(() => checkRedirectUri(params(''), { redirectUris: ['https://a/cb', 'https://b/cb'] }), AuthorizationPageError);
    assert.equal(checkRedirectUri(params(''), { redirectUris: ['https://a/cb'] }), 'https://a/cb');
    assert.throws(() => checkRedirectUri(params('redirect_uri=https://evil/cb'), { redirectUris: ['https://a/cb'] }), AuthorizationPageError);
  });

  it('checkResponseType: code needs authorization_code, token needs implicit', () => {
    assert.equal(checkResponseType(params('response_type=code'), { grantTypes: ['authorization_code'] }), 'code');
    assert.throws(() => checkResponseType(params('response_type=code'), { grantTypes: ['implicit'] }), (e: unknown) => e instanceof OAuthError && e.code === 'unauthorized_client');
    assert.equal(checkResponseType(params('response_type=token'), { grantTypes: ['implicit'] }), 'token');
    assert.throws(() => checkResponseType(params('response_type=token'), { grantTypes: ['authorization_code'] }), (e: unknown) => e instanceof OAuthError && e.code === 'unsupported_response_type');
  });

  it('checkScope: a subset of the client scopes', () => {
    const client = { id: 'c', scopes: ['a', 'b'], defaultScopes: ['a'] };
    assert.deepEqual(checkScope(params(''), client), ['a']);
    assert.throws(() => checkScope(params('scope=c'), client), (e: unknown) => e instanceof OAuthError && e.code === 'invalid_scope');
  });

  it('checkPkce: required for public clients, S256 only, well-formed', () => {
    assert.throws(() => checkPkce(params(''), { isPublic: true }, 'code'), OAuthError);
    assert.deepEqual(checkPkce(params(''), { isPublic: false }, 'code'), { codeChallenge: null, codeChallengeMethod: null });
    assert.throws(() => checkPkce(params(`code_challenge=${CHALLENGE}&code_challenge_method=plain`), { isPublic: false }, 'code'), OAuthError);
    assert.throws(() => checkPkce(params('code_challenge=short&code_challenge_method=S256'), { isPublic: false }, 'code'), OAuthError);
    assert.deepEqual(checkPkce(params(`code_challenge=${CHALLENGE}&code_challenge_method=S256`), { isPublic: true }, 'code'), { codeChallenge: CHALLENGE, codeChallengeMethod: 'S256' });
  });

  it('checkTenantHint: optional, at most 63 printable ASCII characters', () => {
    assert.equal(checkTenantHint(params('')), undefined);
    assert.equal(checkTenantHint(params('tenant=acme')), 'acme');
    assert.equal(checkTenantHint(params(`tenant=${'a'.repeat(63)}`)), 'a'.repeat(63));
    for (const bad of ['a'.repeat(64), 'acme%00', 'ac%0Ame', 'ac%20me', 'acm%C3%A9']) {
      assert.throws(() => checkTenantHint(params(`tenant=${bad}`)), (e: unknown) => e instanceof OAuthError && e.code === 'invalid_request', bad);
    }
  });

  it('checkPrompt: space-delimited none, login, consent, select_account; none alone; anything else invalid_request', () => {
    assert.equal(checkPrompt(params('')), undefined);
    assert.deepEqual(checkPrompt(params('prompt=none')), ['none']);
    assert.deepEqual(checkPrompt(params('prompt=login%20consent')), ['login', 'consent']);
    assert.deepEqual(checkPrompt(params('prompt=select_account+login+login')), ['select_account', 'login'], 'duplicates dropped');
    assert.deepEqual(checkPrompt(params('prompt=consent%20')), ['consent'], 'extra spaces ignored');
    assert.equal(checkPrompt(params('prompt=%20')), undefined);
    const invalid = (query: string, description: RegExp) =>
      assert.throws(() => checkPrompt(params(query)), (e: unknown) => e instanceof OAuthError && e.code === 'invalid_request' && description.test(e.description), query);
    invalid('prompt=bogus', /the prompt parameter has a value that is not supported \(allowed: none, login, consent, select_account\)/);
    invalid('prompt=Login', /prompt parameter has a value that is not supported/);
    invalid('prompt=login%09consent', /not supported/);
    invalid('prompt=none%20login', /prompt=none cannot be combined/);
    invalid('prompt=consent%20none', /prompt=none cannot be combined/);
  });

  it('preCheckedTenants: the granted tenants still the user’s plus the hinted one; implicit: one', () => {
    const user = { tenants: [{ id: 't1', slug: 'acme' }, { id: 't2', slug: 'globex' }, { id: 't3', slug: 'initech' }] };
    const consent = { userId: 'u', clientId: 'c', scopes: [], tenants: ['initech', 'gone'], createdAt: 0, updatedAt: 0 };
    assert.deepEqual(preCheckedTenants(consent, { responseType: 'code', tenantHint: 'acme' }, user), ['acme', 'initech']);
    assert.deepEqual(preCheckedTenants(consent, { responseType: 'code', tenantHint: 'umbrella' }, user), ['initech']);
    assert.deepEqual(preCheckedTenants(undefined, { responseType: 'code', tenantHint: 'globex' }, user), ['globex']);
    assert.deepEqual(preCheckedTenants(undefined, { responseType: 'code' }, user), []);
    assert.deepEqual(preCheckedTenants(consent, { responseType: 'token', tenantHint: 'acme' }, user), ['acme']);
    assert.deepEqual(preCheckedTenants(consent, { responseType: 'token' }, user), ['initech']);
  });

  it('hintedTenant: the hint only when the user belongs to that tenant', () => {
    const user = { tenants: [{ id: 't1', slug: 'acme' }, { id: 't2', slug: 'globex' }] };
    assert.equal(hintedTenant({ tenantHint: 'globex' }, user), 'globex');
    assert.equal(hintedTenant({ tenantHint: 'initech' }, user), undefined);
    assert.equal(hintedTenant({}, user), undefined);
  });

  it('buildRedirect always adds iss, keeps a registered query, and uses the fragment for token', () => {
    assert.equal(buildRedirect('https://a/cb?x=1', 'query', { code: 'c', state: undefined }, 'https://as'), 'https://a/cb?x=1&code=c&iss=https%3A%2F%2Fas');
    assert.equal(buildRedirect('https://a/cb', 'fragment', { access_token: 't' }, 'https://as'), 'https://a/cb#access_token=t&iss=https%3A%2F%2Fas');
  });

  it('the session cookie is sealed: tampering or expiry yields nothing', () => {
    const key = authorizationSessionKey(Buffer.alloc(32, 1));
    const session = newAuthorizationSession({ clientId: 'c', redirectUri: 'https://a/cb', responseType: 'code', scope: [], state: undefined, codeChallenge: null, codeChallengeMethod: null }, 1000);
    const sealed = sealAuthorizationSession(session, key);
    assert.deepEqual(openAuthorizationSession(sealed, key, 2000), JSON.parse(JSON.stringify(session)));
    assert.equal(openAuthorizationSession(sealed, key, session.exp), undefined);
    assert.equal(openAuthorizationSession(sealed.slice(0, -2) + 'AA', key, 2000), undefined);
    assert.equal(openAuthorizationSession(sealed, authorizationSessionKey(Buffer.alloc(32, 2)), 2000), undefined);
  });

  it('escapes every interpolated value once', () => {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    assert.equal(html`<p>${'<b>'}${html`<i>${'&'}</i>`}</p>`.toString(), '<p>&lt;b&gt;<i>&amp;</i></p>');
  });
});
