/**
 * The redirect URI matrix at the authorization endpoint and the token endpoint (issue 16,
 * "The suite"; registration is redirect-uri-registration.test.ts). RFC 9700 §2.1 / §4.1.3:
 * exact string comparison, so every variant of a registered URI is refused — at
 * /oauth/authorize with an error page and never a redirect (RFC 6749 §3.1.2.4, §4.1.2.1),
 * at /oauth/token with `invalid_grant` (§4.1.3, §5.2). The path, the query and the
 * private-use scheme are compared case-sensitively (RFC 3986 §6.2.2.1 makes only the
 * scheme and host case-insensitive, and even those are not normalised here). The one
 * freedom is RFC 8252 §7.3's: any port on a registered `http://127.0.0.1` or
 * `http://[::1]` URI (README "The redirect URI must equal a registered one exactly").
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { authorizeThroughPages } from '../helpers/authorize-pages.js';
import { createClient, createTestGatehouse, type TestClient, type TestGatehouse } from '../helpers/gatehouse.js';
import { pkcePair } from '../helpers/tokens.js';
import { exchangeCode } from '../helpers/user-delegation.js';

const PASSWORD = 'correct horse battery';
/** Mixed-case path and a query, so that case and query mutations have something to change. */
const WEB = 'https://app.example.com/Callback/Path?tenant=a';
const LOOPBACK = 'http://127.0.0.1/native';
const LOOPBACK6 = 'http://[::1]:8000/native6';
const LOCALHOST = 'http://localhost:3000/cb';
const NATIVE = 'com.example.app:/oauth/Cb';

/** Variants of WEB, each of which must be refused. */
const WEB_VARIANTS: [string, string][] = [
  ['the path in lower case', 'https://app.example.com/callback/path?tenant=a'],
  ['the path in upper case', 'https://app.example.com/CALLBACK/PATH?tenant=a'],
  ['one path letter in another case', 'https://app.example.com/Callback/path?tenant=a'],
  ['the scheme in upper case', 'HTTPS://app.example.com/Callback/Path?tenant=a'],
  ['the host in upper case', 'https://APP.EXAMPLE.COM/Callback/Path?tenant=a'],
  ['a query name in another case', 'https://app.example.com/Callback/Path?Tenant=a'],
  ['a query value in another case', 'https://app.example.com/Callback/Path?tenant=A'],
  ['a trailing slash', 'https://app.example.com/Callback/Path/?tenant=a'],
  ['a doubled slash', 'https://app.example.com//Callback/Path?tenant=a'],
  ['a dot-dot segment resolving to the path', 'https://app.example.com/Callback/x/../Path?tenant=a'],
  ['a dot segment', 'https://app.example.com/Callback/./Path?tenant=a'],
  ['a traversal out of the path', 'https://app.example.com/Callback/Path/../../evil?tenant=a'],
  ['encoded dots', 'https://app.example.com/Callback/%2e%2e/Callback/Path?tenant=a'],
  ['upper-case encoded dots', 'https://app.example.com/Callback/%2E%2E/Callback/Path?tenant=a'],
  ['an encoded slash', 'https://app.example.com/Callback%2FPath?tenant=a'],
  ['a percent-encoded letter', 'https://app.example.com/%43allback/Path?tenant=a'],
  ['double encoding', 'https://app.example.com/%2543allback/Path?tenant=a'],
  ['double-encoded dots', 'https://app.example.com/Callback/%252e%252e/Path?tenant=a'],
  ['an encoded NUL', 'https://app.example.com/Callback/Path%00?tenant=a'],
  ['an added query parameter', 'https://app.example.com/Callback/Path?tenant=a&next=https://evil.example'],
  ['a changed query', 'https://app.example.com/Callback/Path?tenant=b'],
  ['the query removed', 'https://app.example.com/Callback/Path'],
  ['an empty query added', 'https://app.example.com/Callback/Path?tenant=a&'],
  ['a fragment', 'https://app.example.com/Callback/Path?tenant=a#x'],
  ['an empty fragment', 'https://app.example.com/Callback/Path?tenant=a#'],
  ['userinfo before another host', 'https://app.example.com@evil.example/Callback/Path?tenant=a'],
  ['userinfo on the registered host', 'https://evil.example@app.example.com/Callback/Path?tenant=a'],
  ['a backslash before another host', 'https://app.example.com\\@evil.example/Callback/Path?tenant=a'],
  ['backslashes for slashes', 'https:\\\\app.example.com\\Callback\\Path?tenant=a'],
  ['a backslash in the path', 'https://app.example.com/Callback\\Path?tenant=a'],
  ['the default port spelled out', 'https://app.example.com:443/Callback/Path?tenant=a'],
  ['another port', 'https://app.example.com:8443/Callback/Path?tenant=a'],
  ['http instead of https', 'http://app.example.com/Callback/Path?tenant=a'],
  ['another scheme', 'wss://app.example.com/Callback/Path?tenant=a'],
  ['a trailing dot on the host', 'https://app.example.com./Callback/Path?tenant=a'],
  ['a sub-domain', 'https://evil.app.example.com/Callback/Path?tenant=a'],
  ['the host as a prefix of another', 'https://app.example.com.evil.example/Callback/Path?tenant=a'],
  ['a look-alike host (hyphen)', 'https://app-example.com/Callback/Path?tenant=a'],
  ['a look-alike host (Cyrillic а)', 'https://\u0430pp.example.com/Callback/Path?tenant=a'],
  ['a look-alike host (punycode)', 'https://xn--pp-8cd.example.com/Callback/Path?tenant=a'],
  ['a leading space', ' https://app.example.com/Callback/Path?tenant=a'],
  ['a trailing space', 'https://app.example.com/Callback/Path?tenant=a '],
  ['a trailing newline', 'https://app.example.com/Callback/Path?tenant=a\n'],
];

/** Variants of the loopback and native registrations, each of which must be refused. */
const OTHER_VARIANTS: [string, string][] = [
  ['localhost for a 127.0.0.1 registration', 'http://localhost:5000/native'],
  ['localhost. (trailing dot)', 'http://localhost.:5000/native'],
  ['127.0.0.2', 'http://127.0.0.2:5000/native'],
  ['127.1 (short form)', 'http://127.1:5000/native'],
  ['2130706433 (decimal form)', 'http://2130706433:5000/native'],
  ['a 127.0.0.1 prefix of another host', 'http://127.0.0.1.nip.io:5000/native'],
  ['userinfo on the loopback host', 'http://127.0.0.1:5000@evil.example/native'],
  ['userinfo before the loopback host', 'http://evil.example@127.0.0.1:5000/native'],
  ['https on the loopback host', 'https://127.0.0.1:5000/native'],
  ['the loopback path in upper case', 'http://127.0.0.1:5000/NATIVE'],
  ['the loopback path with a trailing slash', 'http://127.0.0.1:5000/native/'],
  ['the loopback path with a query', 'http://127.0.0.1:5000/native?x=1'],
  ['the loopback path with a fragment', 'http://127.0.0.1:5000/native#x'],
  ['loopback port 0', 'http://127.0.0.1:0/native'],
  ['loopback port 65536', 'http://127.0.0.1:65536/native'],
  ['a loopback port with a leading zero', 'http://127.0.0.1:05000/native'],
  ['an empty loopback port', 'http://127.0.0.1:/native'],
  ['[::1] spelled out', 'http://[0:0:0:0:0:0:0:1]:9000/native6'],
  ['[::1] path in another case', 'http://[::1]:9000/Native6'],
  ['another port on a localhost registration (only literal loopback addresses get any port)', 'http://localhost:3001/cb'],
  ['localhost in upper case', 'http://LOCALHOST:3000/cb'],
  ['localhost. for a localhost registration', 'http://localhost.:3000/cb'],
  ['the private-use scheme in upper case', 'COM.EXAMPLE.APP:/oauth/Cb'],
  ['the private-use path in another case', 'com.example.app:/oauth/cb'],
  ['the private-use URI with an authority', 'com.example.app://oauth/Cb'],
  ['the private-use URI with a trailing slash', 'com.example.app:/oauth/Cb/'],
  ['a look-alike private-use scheme', 'com.example.app.evil:/oauth/Cb'],
];

describe('redirect URI matrix at /oauth/authorize and /oauth/token', () => {
  let t: TestGatehouse;
  let client: TestClient;

  before(async () => {
    t = await createTestGatehouse();
    client = await createClient(t.gatehouse, {
      tenant: 'acme',
      grantTypes: ['authorization_code'],
      redirectUris: [WEB, LOOPBACK, LOOPBACK6, LOCALHOST, NATIVE],
    });
    await t.gatehouse.admin.users.create({ tenant: 'acme', username: 'alice', password: PASSWORD });
  });
  after(() => t?.close());

  const authorizeQuery = (redirectUri: string, challenge: string) => ({
    client_id: client.clientId,
    redirect_uri: redirectUri,
    scope: 'documents:read',
    state: 'st',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  const authorize = (redirectUri: string) =>
    t.app.inject({ method: 'GET', url: `/oauth/authorize?${new URLSearchParams({ response_type: 'code', ...authorizeQuery(redirectUri, pkcePair().challenge) })}` });

  function assertErrorPage(response: LightMyRequestResponse, what: string): void {
    assert.equal(response.statusCode, 400, `${what}: ${response.statusCode} ${response.body.slice(0, 200)}`);
    assert.equal(response.headers.location, undefined, `${what}: an error page, never a redirect`);
    assert.match(String(response.headers['content-type']), /^text\/html/, what);
    assert.match(response.body, /Invalid redirect URI/, what);
  }

  /** A code issued through the pages for `redirectUri`, with its PKCE verifier. */
  async function codeFor(redirectUri: string): Promise<{ code: string; verifier: string }> {
    const pkce = pkcePair();
    const { location } = await authorizeThroughPages(t.app, { query: authorizeQuery(redirectUri, pkce.challenge), username: 'alice', password: PASSWORD });
    assert.equal(location.href.startsWith(redirectUri.split('?')[0]!), true, location.href);
    const code = location.searchParams.get('code');
    assert.ok(code, location.href);
    return { code, verifier: pkce.verifier };
  }

  async function assertInvalidGrant(code: string, verifier: string, redirectUri: string, what: string): Promise<void> {
    const response = await exchangeCode(t.app, client, code, { redirect_uri: redirectUri, code_verifier: verifier });
    assert.equal(response.statusCode, 400, `${what}: ${response.body}`);
    assert.equal((response.json() as { error: string }).error, 'invalid_grant', what);
  }

  it('controls: every registered URI is accepted as it is', async () => {
    for (const uri of [WEB, LOOPBACK, LOOPBACK6, LOCALHOST, NATIVE]) {
      const response = await authorize(uri);
      assert.equal(response.statusCode, 200, `${uri}: ${response.body.slice(0, 200)}`);
      assert.match(response.body, /name="username"/);
    }
  });

  for (const [name, uri] of [...WEB_VARIANTS, ...OTHER_VARIANTS]) {
    it(`authorize: refuses ${name} with an error page`, async () => {
      assertErrorPage(await authorize(uri), uri);
    });
  }

  it('authorize: RFC 8252 §7.3, any port on a registered 127.0.0.1 or [::1] URI, and the port-less form', async () => {
    for (const uri of ['http://127.0.0.1:51234/native', 'http://127.0.0.1:1/native', 'http://127.0.0.1:65535/native', 'http://[::1]:9000/native6', 'http://[::1]/native6']) {
      const response = await authorize(uri);
      assert.equal(response.statusCode, 200, `${uri}: ${response.body.slice(0, 200)}`);
    }
  });

  it('token: a code issued for the web URI is refused with every variant, then redeemed with the exact URI', async () => {
    const { code, verifier } = await codeFor(WEB);
    for (const [name, uri] of WEB_VARIANTS) await assertInvalidGrant(code, verifier, uri, name);
    // The failed attempts did not spend the code (issue 16: checks run before it is consumed).
    const response = await exchangeCode(t.app, client, code, { redirect_uri: WEB, code_verifier: verifier });
    assert.equal(response.statusCode, 200, response.body);
  });

  it('token: a redirect_uri differing only in path letter case is refused (never compared case-insensitively)', async () => {
    const { code, verifier } = await codeFor(NATIVE);
    await assertInvalidGrant(code, verifier, 'com.example.app:/oauth/cb', 'path in lower case');
    await assertInvalidGrant(code, verifier, 'com.example.app:/OAUTH/CB', 'path in upper case');
    await assertInvalidGrant(code, verifier, 'COM.EXAMPLE.APP:/oauth/Cb', 'scheme in upper case');
    assert.equal((await exchangeCode(t.app, client, code, { redirect_uri: NATIVE, code_verifier: verifier })).statusCode, 200);
  });

  it('token: a loopback code is bound to the port the authorization request used', async () => {
    const { code, verifier } = await codeFor('http://127.0.0.1:51234/native');
    for (const uri of [LOOPBACK, 'http://127.0.0.1:51235/native', 'http://[::1]:51234/native', 'http://localhost:51234/native', 'http://127.0.0.1:51234/Native']) {
      await assertInvalidGrant(code, verifier, uri, uri);
    }
    assert.equal((await exchangeCode(t.app, client, code, { redirect_uri: 'http://127.0.0.1:51234/native', code_verifier: verifier })).statusCode, 200);
  });

  it('token: a code whose authorization request left redirect_uri out (one registered URI) is refused with a variant of it', async () => {
    const single = await createClient(t.gatehouse, { tenant: 'acme', grantTypes: ['authorization_code'], redirectUris: [WEB] });
    const pkce = pkcePair();
    const { client_id: _client, redirect_uri: _uri, ...rest } = authorizeQuery(WEB, pkce.challenge);
    const { location } = await authorizeThroughPages(t.app, { query: { client_id: single.clientId, ...rest }, username: 'alice', password: PASSWORD });
    const code = location.searchParams.get('code')!;
    for (const [name, uri] of WEB_VARIANTS.slice(0, 8)) {
      const response = await exchangeCode(t.app, single, code, { redirect_uri: uri, code_verifier: pkce.verifier });
      assert.equal(response.statusCode, 400, `${name}: ${response.body}`);
      assert.equal((response.json() as { error: string }).error, 'invalid_grant', name);
    }
    assert.equal((await exchangeCode(t.app, single, code, { redirect_uri: WEB, code_verifier: pkce.verifier })).statusCode, 200);
  });

  it('token: a code issued for one registered URI is refused with another registered URI', async () => {
    const { code, verifier } = await codeFor(LOCALHOST);
    for (const uri of [WEB, LOOPBACK, NATIVE, 'http://localhost:3001/cb']) await assertInvalidGrant(code, verifier, uri, uri);
    assert.equal((await exchangeCode(t.app, client, code, { redirect_uri: LOCALHOST, code_verifier: verifier })).statusCode, 200);
  });
});
