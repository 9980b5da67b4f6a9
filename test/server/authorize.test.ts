/**
 * Black-box tests of the authorization endpoint and its pages (issue 4), through
 * fastify.inject, following redirects and cookies by hand.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { codeDigestKey, digestCode } from '../../packages/server/src/core/authorization-codes.js';
import type { SqlStorage } from '../../packages/server/src/store/sql/index.js';
import { pageSecurityHeadersFor } from '../../packages/server/src/web/pages.js';
import { createClient, createTestGatehouse, TEST_ISSUER, type TestGatehouse } from '../helpers/gatehouse.js';
import { FORM } from '../helpers/http.js';
import { jwtPayload, pkceChallenge } from '../helpers/tokens.js';
import { exchangeCode, refresh, REDIRECT_URI, type TokenPair } from '../helpers/user-delegation.js';

const PASSWORD = 'correct horse battery';
const APP_URI = 'https://app.example.com/cb';
const LOOPBACK_URI = 'http://127.0.0.1/callback';
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const CHALLENGE = pkceChallenge(VERIFIER);
const CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

let t: TestGatehouse;
let confidential: string;
let publicClient: string;
let implicitClient: string;
let evilNamed: string;

const query = (params: Record<string, string>) => new URLSearchParams(params).toString();

function authorize(params: Record<string, string>): Promise<LightMyRequestResponse> {
  return t.app.inject({ method: 'GET', url: `/oauth/authorize?${query(params)}` });
}

function codeRequest(extra: Record<string, string> = {}): Record<string, string> {
  return { response_type: 'code', client_id: confidential, redirect_uri: APP_URI, scope: 'documents:read', state: 'xyz', code_challenge: CHALLENGE, code_challenge_method: 'S256', ...extra };
}

function sessionCookie(response: LightMyRequestResponse): string {
  const header = response.headers['set-cookie'];
  const value = Array.isArray(header) ? header[0]! : String(header);
  return value.split(';', 1)[0]!;
}

function csrfOf(body: string): string {
  const match = /name="csrf_token" value="([^"]+)"/.exec(body);
  assert.ok(match, 'the page has a CSRF token');
  return match[1]!;
}

function post(url: string, cookie: string | undefined, fields: [string, string][]): Promise<LightMyRequestResponse> {
  return t.app.inject({ method: 'POST', url, headers: { 'content-type': FORM, ...(cookie ? { cookie } : {}) }, payload: new URLSearchParams(fields).toString() });
}

/** GET /oauth/authorize then the login form; returns the response to the login and the session cookie. */
async function loginThrough(params: Record<string, string>, username: string, password = PASSWORD) {
  const start = await authorize(params);
  assert.equal(start.statusCode, 200, start.body);
  const cookie = sessionCookie(start);
  const response = await post('/oauth/authorize/login', cookie, [['csrf_token', csrfOf(start.body)], ['username', username], ['password', password]]);
  return { response, cookie: response.headers['set-cookie'] ? sessionCookie(response) : cookie };
}

function location(response: LightMyRequestResponse): URL {
  assert.equal(response.statusCode, 302, `expected a redirect, got ${response.statusCode}: ${response.body.slice(0, 300)}`);
  return new URL(String(response.headers.location));
}

function assertErrorPage(response: LightMyRequestResponse, status = 400): void {
  assert.equal(response.statusCode, status, response.body.slice(0, 300));
  assert.equal(response.headers.location, undefined, 'an error page, never a redirect');
  assert.match(String(response.headers['content-type']), /^text\/html/);
  assertPageHeaders(response);
}

/** `formTarget`: the origin a login or consent page's form may redirect to (the client's redirect URI). */
function assertPageHeaders(response: LightMyRequestResponse, formTarget?: string): void {
  assert.equal(response.headers['content-security-policy'], formTarget ? CSP.replace("form-action 'self'", `form-action 'self' ${formTarget}`) : CSP);
  assert.equal(response.headers['x-frame-options'], 'DENY');
  assert.equal(response.headers['referrer-policy'], 'no-referrer');
  assert.equal(response.headers['cache-control'], 'no-store');
  assert.doesNotMatch(response.body, /<script/i);
}

before(async () => {
  t = await createTestGatehouse();
  const admin = t.gatehouse.admin;
  await admin.tenants.create({ slug: 'acme', name: 'Acme', accessTokenTtl: null });
  await admin.tenants.create({ slug: 'globex', name: 'Globex', accessTokenTtl: null });
  await admin.scopes.create({ tenant: 'acme', name: 'documents:read', description: 'Read your documents' });
  await admin.scopes.create({ tenant: 'acme', name: 'documents:write', description: 'Upload documents' });
  await admin.users.create({ tenant: 'acme', username: 'alice', password: PASSWORD });
  await admin.users.create({ tenant: 'acme', username: 'bob', password: PASSWORD });
  await admin.users.addToTenant('bob', 'globex');
  await admin.users.create({ tenant: 'acme', username: 'carol', password: PASSWORD });
  await admin.users.create({ tenant: 'acme', username: 'dave', password: PASSWORD });
  await admin.users.create({ tenant: 'acme', username: 'erin', password: PASSWORD });
  const scope = 'documents:read documents:write';
  confidential = (await admin.clients.create({ tenant: 'acme', name: 'Signing App', grantTypes: ['authorization_code'], redirectUris: [APP_URI, LOOPBACK_URI], scope })).client.id;
  publicClient = (await admin.clients.create({ tenant: 'acme', name: 'Desktop', isPublic: true, grantTypes: ['authorization_code'], redirectUris: [LOOPBACK_URI], scope })).client.id;
  implicitClient = (await admin.clients.create({ tenant: 'acme', name: 'Legacy SPA', isPublic: true, grantTypes: ['implicit'], redirectUris: [APP_URI], scope, accessTokenTtl: 3600 })).client.id;
  evilNamed = (await admin.clients.create({ tenant: 'acme', name: '<script>alert("x")</script>', grantTypes: ['authorization_code'], redirectUris: [APP_URI], scope })).client.id;
});
after(() => t.close());

describe('GET /oauth/authorize — client and redirect URI (error page, never a redirect)', () => {
  it('shows an error page for an unknown or missing client', async () => {
    assertErrorPage(await authorize(codeRequest({ client_id: 'no-such-client' })));
    const { client_id: _omitted, ...withoutClient } = codeRequest();
    assertErrorPage(await authorize(withoutClient));
  });

  const attacks: [string, string][] = [
    ['upper-case host', 'https://APP.example.com/cb'],
    ['upper-case scheme', 'HTTPS://app.example.com/cb'],
    ['trailing slash', 'https://app.example.com/cb/'],
    ['added query', 'https://app.example.com/cb?x=1'],
    ['userinfo', 'https://app.example.com@evil.example/cb'],
    ['userinfo on the registered host', 'https://evil.example@app.example.com/cb'],
    ['encoded dots', 'https://app.example.com/cb/%2e%2e/evil'],
    ['dot segments', 'https://app.example.com/x/../cb'],
    ['other port', 'https://app.example.com:8443/cb'],
    ['other scheme', 'http://app.example.com/cb'],
    ['fragment', 'https://app.example.com/cb#x'],
    ['sub-domain', 'https://evil.app.example.com/cb'],
    ['loopback with another path', 'http://127.0.0.1:5000/callbackx'],
    ['loopback with userinfo', 'http://127.0.0.1:5000@evil.example/callback'],
    ['localhost for a 127.0.0.1 registration', 'http://localhost:5000/callback'],
    ['loopback port 0', 'http://127.0.0.1:0/callback'],
  ];
  for (const [name, uri] of attacks) {
    it(`refuses a redirect URI with ${name} with an error page`, async () => {
      assertErrorPage(await authorize(codeRequest({ redirect_uri: uri })));
    });
  }

  it('accepts any port on a registered loopback URI (RFC 8252 §7.3)', async () => {
    const response = await authorize(codeRequest({ redirect_uri: 'http://127.0.0.1:51234/callback' }));
    assert.equal(response.statusCode, 200);
    assert.match(response.body, /name="username"/);
    // The login form may end in a redirect to that port: CSP form-action covers redirects.
    assertPageHeaders(response, 'http://127.0.0.1:51234');
  });

  it('lets the login and consent forms redirect to the redirect URI only (form-action applies to redirects)', () => {
    const csp = (uri: string) => pageSecurityHeadersFor(uri)['content-security-policy'];
    assert.equal(csp('https://app.example.com/cb?x=1'), CSP.replace("form-action 'self'", "form-action 'self' https://app.example.com"));
    assert.equal(csp('http://127.0.0.1:8123/callback'), CSP.replace("form-action 'self'", "form-action 'self' http://127.0.0.1:8123"));
    assert.equal(csp('com.example.app:/oauth'), CSP.replace("form-action 'self'", "form-action 'self' com.example.app:"));
    // CSP host-sources cannot name an IPv6 literal; nor may a URI inject directives.
    assert.equal(csp('http://[::1]:8123/cb'), CSP.replace("form-action 'self'", "form-action 'self' http:"));
    assert.equal(csp("http://a;script-src'unsafe-inline'/cb"), CSP.replace("form-action 'self'", "form-action 'self' http:"));
  });

  it('refuses a missing redirect URI when several are registered (ambiguous), accepts it when one is', async () => {
    const { redirect_uri: _omitted, ...withoutUri } = codeRequest();
    assertErrorPage(await authorize(withoutUri));
    const single = await authorize({ response_type: 'code', client_id: publicClient, code_challenge: CHALLENGE, code_challenge_method: 'S256' });
    assert.equal(single.statusCode, 200);
  });

  it('refuses a repeated client_id or redirect_uri with an error page', async () => {
    const response = await t.app.inject({ method: 'GET', url: `/oauth/authorize?${query(codeRequest())}&redirect_uri=${encodeURIComponent('https://evil.example/cb')}` });
    assertErrorPage(response);
  });
});

describe('GET /oauth/authorize — errors redirected to the client', () => {
  function assertRedirectError(response: LightMyRequestResponse, error: string, part: 'search' | 'hash' = 'search'): URLSearchParams {
    const url = location(response);
    assert.equal(`${url.origin}${url.pathname}`, APP_URI);
    const params = new URLSearchParams(url[part].slice(1));
    assert.equal(params.get('error'), error);
    assert.ok(params.get('error_description'));
    assert.equal(params.get('iss'), TEST_ISSUER);
    return params;
  }

  it('redirects invalid_scope with error, state and iss', async () => {
    const params = assertRedirectError(await authorize(codeRequest({ scope: 'admin:everything' })), 'invalid_scope');
    assert.equal(params.get('state'), 'xyz');
  });

  it('redirects a missing response_type as invalid_request and an unknown one as unsupported_response_type', async () => {
    const { response_type: _omitted, ...without } = codeRequest();
    assertRedirectError(await authorize(without), 'invalid_request');
    assertRedirectError(await authorize(codeRequest({ response_type: 'id_token' })), 'unsupported_response_type');
  });

  it('requires PKCE from public clients and refuses plain from anyone', async () => {
    const base = { response_type: 'code', client_id: publicClient, redirect_uri: LOOPBACK_URI, state: 's1' };
    const missing = location(await authorize(base));
    assert.equal(missing.searchParams.get('error'), 'invalid_request');
    assert.equal(missing.searchParams.get('iss'), TEST_ISSUER);
    assert.equal(missing.searchParams.get('state'), 's1');
    const plain = location(await authorize({ ...base, code_challenge: VERIFIER, code_challenge_method: 'plain' }));
    assert.equal(plain.searchParams.get('error'), 'invalid_request');
    assertRedirectError(await authorize(codeRequest({ code_challenge_method: 'plain' })), 'invalid_request');
    // No method means plain (RFC 7636 §4.3): refused too.
    const { code_challenge_method: _m, ...noMethod } = codeRequest();
    assertRedirectError(await authorize(noMethod), 'invalid_request');
    // A confidential client may go without PKCE.
    const { code_challenge: _c, code_challenge_method: _cm, ...noPkce } = codeRequest();
    assert.equal((await authorize(noPkce)).statusCode, 200);
  });

  it('refuses response_type=token for a client not registered for implicit (redirected)', async () => {
    assertRedirectError(await authorize(codeRequest({ response_type: 'token' })), 'unsupported_response_type');
  });
});

describe('login and consent', () => {
  it('serves the login page with the security headers, a CSRF token and a hardened session cookie', async () => {
    const response = await authorize(codeRequest());
    assert.equal(response.statusCode, 200);
    assertPageHeaders(response, new URL(APP_URI).origin);
    assert.match(response.body, /<input[^>]+name="username"/);
    assert.match(response.body, /<input[^>]+name="password"/);
    csrfOf(response.body);
    const cookie = String(response.headers['set-cookie']);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.match(cookie, /Path=\//);
    assert.doesNotMatch(cookie, /Secure/, 'no Secure on an http issuer');
    const css = await t.app.inject({ method: 'GET', url: '/oauth/assets/gatehouse.css' });
    assert.equal(css.statusCode, 200);
    assert.match(String(css.headers['content-type']), /^text\/css/);
  });

  it('answers a wrong password with the generic message, and an unknown user alike', async () => {
    const wrong = await loginThrough(codeRequest(), 'alice', 'wrong password!!');
    assert.equal(wrong.response.statusCode, 401);
    assert.match(wrong.response.body, /Incorrect username or password/);
    assertPageHeaders(wrong.response, new URL(APP_URI).origin);
    const unknown = await loginThrough(codeRequest(), 'nobody', 'wrong password!!');
    assert.equal(unknown.response.statusCode, 401);
    assert.match(unknown.response.body, /Incorrect username or password/);
  });

  it('shows the consent page after the right password: client name, redirect host, scope descriptions', async () => {
    const { response } = await loginThrough(codeRequest({ scope: 'documents:read documents:write' }), 'alice');
    assert.equal(response.statusCode, 200);
    assertPageHeaders(response, new URL(APP_URI).origin);
    assert.match(response.body, /Signing App/);
    assert.match(response.body, /app\.example\.com/);
    assert.match(response.body, /Read your documents/);
    assert.match(response.body, /Upload documents/);
    assert.match(response.body, />Allow</);
    assert.match(response.body, />Deny</);
    assert.doesNotMatch(response.body, /name="tenant"/, 'no picker for a user of one tenant');
  });

  it('Allow redirects with code, state and iss; the code is stored only as a digest, bound to the request', async () => {
    const { response, cookie } = await loginThrough(codeRequest(), 'alice');
    const allowed = await post('/oauth/authorize/consent', cookie, [['csrf_token', csrfOf(response.body)], ['decision', 'allow']]);
    const url = location(allowed);
    assert.equal(`${url.origin}${url.pathname}`, APP_URI);
    const code = url.searchParams.get('code')!;
    assert.match(code, /^gatehouse_ac_[A-Za-z0-9_-]{43}$/);
    assert.equal(url.searchParams.get('state'), 'xyz');
    assert.equal(url.searchParams.get('iss'), TEST_ISSUER);
    assert.match(String(allowed.headers['set-cookie']), /Max-Age=0/, 'the session cookie is cleared');

    const db = (t.gatehouse.storage as SqlStorage).db;
    const rows = await db.selectFrom('authorization_codes').selectAll().execute();
    assert.ok(rows.every((row) => !JSON.stringify(row).includes(code)), 'the code itself is never stored');
    const digest = digestCode(code, codeDigestKey(t.gatehouse.masterKey.key));
    const row = rows.find((candidate) => candidate.code_digest === digest);
    assert.ok(row, 'stored under its digest');
    assert.equal(row.client_id, confidential);
    assert.equal(row.redirect_uri, APP_URI);
    assert.equal(row.code_challenge, CHALLENGE);
    assert.equal(row.code_challenge_method, 'S256');
    assert.equal(row.scope, 'documents:read');
    assert.equal(row.tenants, 'acme');
    const alice = await t.gatehouse.storage.users.findUserByUsername('alice');
    assert.equal(row.user_id, alice!.id);
    assert.ok(Number(row.expires_at) - Date.now() <= t.config.authorizationCodeTtl * 1000);
  });

  it('remembers the consent (the next authorization skips the page), and asks again for a new scope', async () => {
    const first = await loginThrough(codeRequest(), 'carol');
    await post('/oauth/authorize/consent', first.cookie, [['csrf_token', csrfOf(first.response.body)], ['decision', 'allow']]);
    const again = await loginThrough(codeRequest({ state: 'second' }), 'carol');
    const url = location(again.response);
    assert.ok(url.searchParams.get('code'));
    assert.equal(url.searchParams.get('state'), 'second');
    const wider = await loginThrough(codeRequest({ scope: 'documents:read documents:write' }), 'carol');
    assert.equal(wider.response.statusCode, 200);
    assert.match(wider.response.body, /Upload documents/);
  });

  it('Deny redirects with access_denied, state and iss', async () => {
    const { response, cookie } = await loginThrough(codeRequest(), 'dave');
    const url = location(await post('/oauth/authorize/consent', cookie, [['csrf_token', csrfOf(response.body)], ['decision', 'deny']]));
    assert.equal(url.searchParams.get('error'), 'access_denied');
    assert.equal(url.searchParams.get('state'), 'xyz');
    assert.equal(url.searchParams.get('iss'), TEST_ISSUER);
    assert.equal(url.searchParams.get('code'), null);
  });

  it('offers a tenant picker to a user of several tenants and binds the code to the tenants chosen', async () => {
    const { response, cookie } = await loginThrough(codeRequest(), 'bob');
    assert.match(response.body, /type="checkbox"[^>]*name="tenant" value="acme"/);
    assert.match(response.body, /type="checkbox"[^>]*name="tenant" value="globex"/);
    const csrf = csrfOf(response.body);
    const none = await post('/oauth/authorize/consent', cookie, [['csrf_token', csrf], ['decision', 'allow']]);
    assert.equal(none.statusCode, 400, 'at least one tenant must be chosen');
    const foreign = await post('/oauth/authorize/consent', cookie, [['csrf_token', csrf], ['decision', 'allow'], ['tenant', 'initech']]);
    assert.equal(foreign.statusCode, 400, 'only the user’s own tenants');
    const url = location(await post('/oauth/authorize/consent', cookie, [['csrf_token', csrf], ['decision', 'allow'], ['tenant', 'acme'], ['tenant', 'globex']]));
    const digest = digestCode(url.searchParams.get('code')!, codeDigestKey(t.gatehouse.masterKey.key));
    const row = await (t.gatehouse.storage as SqlStorage).db.selectFrom('authorization_codes').selectAll().where('code_digest', '=', digest).executeTakeFirstOrThrow();
    assert.equal(row.tenants, 'acme globex');
  });

  it('refuses a form with a missing or wrong CSRF token (403 page)', async () => {
    const start = await authorize(codeRequest());
    const cookie = sessionCookie(start);
    const missing = await post('/oauth/authorize/login', cookie, [['username', 'alice'], ['password', PASSWORD]]);
    assertErrorPage(missing, 403);
    const wrong = await post('/oauth/authorize/login', cookie, [['csrf_token', 'x'.repeat(43)], ['username', 'alice'], ['password', PASSWORD]]);
    assertErrorPage(wrong, 403);
    // erin has no remembered consent: the consent page, whose form needs the new token.
    const { response, cookie: signedIn } = await loginThrough(codeRequest(), 'erin');
    assert.equal(response.statusCode, 200);
    const consent = await post('/oauth/authorize/consent', signedIn, [['csrf_token', csrfOf(start.body)], ['decision', 'allow']]);
    assertErrorPage(consent, 403);
    const stale = await post('/oauth/authorize/consent', signedIn, [['decision', 'allow']]);
    assertErrorPage(stale, 403);
  });

  it('refuses a form without a session, or with a forged one (error page)', async () => {
    const start = await authorize(codeRequest());
    assertErrorPage(await post('/oauth/authorize/login', undefined, [['csrf_token', csrfOf(start.body)], ['username', 'alice'], ['password', PASSWORD]]));
    assertErrorPage(await post('/oauth/authorize/login', 'gatehouse_authz=v1.AAAA.BBBB.CCCC', [['csrf_token', csrfOf(start.body)], ['username', 'alice'], ['password', PASSWORD]]));
  });

  it('escapes a client name containing markup', async () => {
    const response = await authorize({ ...codeRequest(), client_id: evilNamed });
    assert.equal(response.statusCode, 200);
    assert.doesNotMatch(response.body, /<script>alert/);
    assert.match(response.body, /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;/);
  });
});

describe('the tenant hint (tenant=<slug>)', () => {
  before(async () => {
    const admin = t.gatehouse.admin;
    await admin.tenants.create({ slug: 'initech', name: 'Initech', accessTokenTtl: null });
    // Users of acme and globex, one per test: consent is remembered per user and client.
    for (const username of ['hana', 'hiro', 'hugo']) {
      await admin.users.create({ tenant: 'acme', username, password: PASSWORD });
      await admin.users.addToTenant(username, 'globex');
    }
  });

  const checkbox = (body: string, slug: string) => new RegExp(`<input type="checkbox"[^>]*value="${slug}"[^>]*>`).exec(body)?.[0] ?? assert.fail(`no checkbox for ${slug}`);
  const withoutCsrf = (body: string) => body.replace(/name="csrf_token" value="[^"]+"/, 'name="csrf_token" value=""');
  const codeTenants = async (url: URL) => {
    const digest = digestCode(url.searchParams.get('code')!, codeDigestKey(t.gatehouse.masterKey.key));
    return (await (t.gatehouse.storage as SqlStorage).db.selectFrom('authorization_codes').selectAll().where('code_digest', '=', digest).executeTakeFirstOrThrow()).tenants;
  };

  it('survives the login step in the sealed session and pre-checks that tenant for a user of several', async () => {
    const start = await authorize(codeRequest({ tenant: 'globex' }));
    assert.equal(start.statusCode, 200, start.body);
    assert.doesNotMatch(start.body, /globex/, 'not in a form field: it travels in the sealed session');
    assert.doesNotMatch(sessionCookie(start), /globex/);
    const login = await post('/oauth/authorize/login', sessionCookie(start), [['csrf_token', csrfOf(start.body)], ['username', 'hana'], ['password', PASSWORD]]);
    assert.equal(login.statusCode, 200, login.body.slice(0, 300));
    assert.match(checkbox(login.body, 'globex'), / checked>$/);
    assert.doesNotMatch(checkbox(login.body, 'acme'), /checked/);
  });

  it('ignores a hint naming a tenant the user is not in, whether it exists or not: the same page as without a hint', async () => {
    const pages: string[] = [];
    for (const extra of [{ tenant: 'initech' }, { tenant: 'no-such-tenant' }, {}] as Record<string, string>[]) {
      const { response } = await loginThrough(codeRequest(extra), 'hana');
      assert.equal(response.statusCode, 200, response.body.slice(0, 300));
      assert.doesNotMatch(response.body, /checked/);
      pages.push(withoutCsrf(response.body));
    }
    assert.equal(pages[0], pages[1], 'the page does not tell whether the tenant exists');
    assert.equal(pages[0], pages[2]);
    // A user of one tenant has no picker, hint or not.
    const single = await loginThrough(codeRequest({ tenant: 'acme' }), 'erin');
    assert.doesNotMatch(single.response.body, /name="tenant"|checked/);
  });

  it('refuses a malformed hint (overlong, control characters, repeated) with a redirected invalid_request, state and iss', async () => {
    for (const tenant of ['a'.repeat(64), 'acme\u0000', 'acme\n', 'globex\u007f', 'acmé']) {
      const url = location(await authorize(codeRequest({ tenant })));
      assert.equal(`${url.origin}${url.pathname}`, APP_URI);
      assert.equal(url.searchParams.get('error'), 'invalid_request', JSON.stringify(tenant));
      assert.match(url.searchParams.get('error_description')!, /tenant/);
      assert.equal(url.searchParams.get('state'), 'xyz');
      assert.equal(url.searchParams.get('iss'), TEST_ISSUER);
      assert.ok(!url.href.includes(encodeURIComponent(tenant)), 'the hint is not echoed');
    }
    const repeated = location(await t.app.inject({ method: 'GET', url: `/oauth/authorize?${query(codeRequest({ tenant: 'acme' }))}&tenant=globex` }));
    assert.equal(repeated.searchParams.get('error'), 'invalid_request');
    assert.equal(repeated.searchParams.get('state'), 'xyz');
    assert.equal(repeated.searchParams.get('iss'), TEST_ISSUER);
    assert.equal((await authorize(codeRequest({ tenant: 'a'.repeat(63) }))).statusCode, 200, 'the longest slug is accepted');
  });

  it('grants the tenants the user submits, not the hinted one, and nothing when none is submitted', async () => {
    const { response, cookie } = await loginThrough(codeRequest({ tenant: 'globex' }), 'hiro');
    const csrf = csrfOf(response.body);
    const none = await post('/oauth/authorize/consent', cookie, [['csrf_token', csrf], ['decision', 'allow']]);
    assert.equal(none.statusCode, 400, 'the hint is not a choice: the user must submit one');
    const url = location(await post('/oauth/authorize/consent', cookie, [['csrf_token', csrf], ['decision', 'allow'], ['tenant', 'acme']]));
    assert.equal(await codeTenants(url), 'acme');
  });

  it('leaves a remembered consent as it is for a hint naming a granted tenant: no consent page, the remembered tenants only', async () => {
    const first = await loginThrough(codeRequest(), 'hugo');
    location(await post('/oauth/authorize/consent', first.cookie, [['csrf_token', csrfOf(first.response.body)], ['decision', 'allow'], ['tenant', 'acme']]));
    const again = await loginThrough(codeRequest({ tenant: 'acme', state: 'again' }), 'hugo');
    const url = location(again.response);
    assert.equal(url.searchParams.get('state'), 'again');
    assert.equal(await codeTenants(url), 'acme');
  });

  it('asks again for a hinted tenant not yet granted, pre-checking the granted one: the grown grant reaches the new tenant, on refresh too', async () => {
    await t.gatehouse.admin.users.create({ tenant: 'acme', username: 'hilda', password: PASSWORD });
    await t.gatehouse.admin.users.addToTenant('hilda', 'globex');
    const grower = await createClient(t.gatehouse, { tenant: 'acme', name: 'Growing App', grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [REDIRECT_URI] });
    const request = (tenant: string) => codeRequest({ client_id: grower.clientId, redirect_uri: REDIRECT_URI, tenant });
    const first = await loginThrough(request('acme'), 'hilda');
    location(await post('/oauth/authorize/consent', first.cookie, [['csrf_token', csrfOf(first.response.body)], ['decision', 'allow'], ['tenant', 'acme']]));

    const again = await loginThrough(request('globex'), 'hilda');
    assert.equal(again.response.statusCode, 200, 'the consent page, not a redirect');
    assertPageHeaders(again.response, 'https://app.example.com');
    assert.match(checkbox(again.response.body, 'acme'), / checked>$/, 'granted before');
    assert.match(checkbox(again.response.body, 'globex'), / checked>$/, 'hinted');
    const url = location(await post('/oauth/authorize/consent', again.cookie, [['csrf_token', csrfOf(again.response.body)], ['decision', 'allow'], ['tenant', 'acme'], ['tenant', 'globex']]));
    assert.equal(await codeTenants(url), 'acme globex');
    const tokens = await exchangeCode(t.app, grower, url.searchParams.get('code')!, { code_verifier: VERIFIER, tenant: 'globex' });
    assert.equal(tokens.statusCode, 200, tokens.body);
    const refreshed = await refresh(t.app, grower, (tokens.json() as TokenPair).refresh_token, { tenant: 'globex' });
    assert.equal(refreshed.statusCode, 200, refreshed.body);
    assert.equal(jwtPayload((refreshed.json() as TokenPair).access_token).tenant, 'globex');
    // Now covered: the next request for globex skips the page.
    assert.ok(location((await loginThrough(request('globex'), 'hilda')).response).searchParams.get('code'));
  });
});

describe('legacy implicit (response_type=token)', () => {
  it('returns a short-lived token in the fragment only, with state and iss, and no refresh token', async () => {
    const params = { response_type: 'token', client_id: implicitClient, redirect_uri: APP_URI, scope: 'documents:read', state: 'imp' };
    const { response, cookie } = await loginThrough(params, 'alice');
    const url = location(await post('/oauth/authorize/consent', cookie, [['csrf_token', csrfOf(response.body)], ['decision', 'allow']]));
    assert.equal(url.search, '', 'nothing in the query');
    const fragment = new URLSearchParams(url.hash.slice(1));
    assert.equal(fragment.get('token_type'), 'Bearer');
    assert.equal(fragment.get('state'), 'imp');
    assert.equal(fragment.get('iss'), TEST_ISSUER);
    assert.equal(fragment.get('refresh_token'), null);
    assert.equal(fragment.get('expires_in'), '900', 'min(client ttl 1h, 15 min)');
    const claims = jwtPayload(fragment.get('access_token')!);
    assert.equal(claims.client_id, implicitClient);
    assert.equal(claims.tenant, 'acme');
    assert.equal(claims.scope, 'documents:read');
  });

  it('sends implicit errors in the fragment', async () => {
    const url = location(await authorize({ response_type: 'token', client_id: implicitClient, redirect_uri: APP_URI, scope: 'nope', state: 'e' }));
    const fragment = new URLSearchParams(url.hash.slice(1));
    assert.equal(fragment.get('error'), 'invalid_scope');
    assert.equal(fragment.get('iss'), TEST_ISSUER);
  });
});

describe('metadata', () => {
  it('advertises the authorization endpoint, S256 and RFC 9207 iss', async () => {
    const metadata = (await t.app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' })).json() as Record<string, unknown>;
    assert.equal(metadata.authorization_endpoint, `${TEST_ISSUER}/oauth/authorize`);
    assert.deepEqual(metadata.response_types_supported, ['code', 'token']);
    assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
    assert.equal(metadata.authorization_response_iss_parameter_supported, true);
  });
});

describe('login throttling', () => {
  it('answers 429 with Retry-After once a username has too many failures', async () => {
    let last: LightMyRequestResponse | undefined;
    for (let i = 0; i < t.config.loginMaxFailuresPerUser + 1; i++) last = (await loginThrough(codeRequest(), 'dave', 'wrong password!!')).response;
    assert.equal(last!.statusCode, 429);
    assert.ok(last!.headers['retry-after']);
    assertPageHeaders(last!);
  });
});
