/**
 * The end user's /account (issue 14) over HTTP, through fastify.inject: sign-in, the
 * connected applications, Revoke (the refresh token stops at /oauth/token, the access
 * token is reported revoked), change password, logout, the page hardening and CSRF.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createClient, createTestGatehouse, type TestClient, type TestGatehouse } from '../helpers/gatehouse.js';
import { CookieBrowser, csrfOf, locationOf } from '../helpers/cookie-browser.js';
import { basicAuth, pkcePair } from '../helpers/tokens.js';
import { exchangeCode, refresh, REDIRECT_URI, type TokenPair } from '../helpers/user-delegation.js';
import { postForm } from '../helpers/gatehouse.js';

const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'another long passphrase';

let t: TestGatehouse;
let app: TestClient;
let feedReader: TestClient;
let userCounter = 0;
let username: string;

before(async () => {
  t = await createTestGatehouse();
  await t.gatehouse.admin.tenants.create({ slug: 'acme', name: 'Acme Corporation' });
  await t.gatehouse.admin.tenants.create({ slug: 'globex', name: 'Globex Inc.' });
  await t.gatehouse.admin.scopes.create({ tenant: 'acme', name: 'documents:read', description: 'Read your documents' });
  app = await createClient(t.gatehouse, { tenant: 'acme', name: 'Invoice App', grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [REDIRECT_URI] });
  feedReader = await createClient(t.gatehouse, { tenant: 'acme', name: 'Document API', grantTypes: ['client_credentials'], resourceServer: true });
});
after(() => t.close());

beforeEach(async () => {
  username = `user${++userCounter}`;
  await t.gatehouse.admin.users.create({ tenant: 'acme', username, password: PASSWORD });
  await t.gatehouse.admin.users.addToTenant(username, 'globex');
});

/** Signs in on /account: the browser then holds the session cookie. */
async function signIn(browser: CookieBrowser, password = PASSWORD): Promise<void> {
  const form = await browser.get('/account');
  assert.equal(form.statusCode, 200);
  const response = await browser.post('/account/login', { csrf_token: csrfOf(form.body), username, password });
  assert.equal(locationOf(response, 303).pathname, '/account');
}

/** Authorizes the Invoice App through the pages (signing in on the way when needed) and exchanges the code. */
async function authorize(browser: CookieBrowser): Promise<TokenPair> {
  const pkce = pkcePair();
  const query = new URLSearchParams({ response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT_URI, scope: 'documents:read', state: 's1', code_challenge: pkce.challenge, code_challenge_method: 'S256' });
  let response = await browser.get(`/oauth/authorize?${query.toString()}`);
  if (response.statusCode === 200 && /name="password"/.test(response.body)) {
    response = await browser.post('/oauth/authorize/login', { csrf_token: csrfOf(response.body), username, password: PASSWORD });
  }
  if (response.statusCode === 200) response = await browser.post('/oauth/authorize/consent', [['csrf_token', csrfOf(response.body)], ['decision', 'allow'], ['tenant', 'acme'], ['tenant', 'globex']]);
  const code = locationOf(response).searchParams.get('code') ?? assert.fail('no code');
  const tokens = await exchangeCode(t.app, app, code, { code_verifier: pkce.verifier });
  assert.equal(tokens.statusCode, 200, tokens.body);
  return tokens.json() as TokenPair;
}

describe('/account: signing in', () => {
  it('shows a hardened sign-in form: CSP without inline script, frame-ancestors none, no-store, a CSRF nonce cookie', async () => {
    const response = await new CookieBrowser(t.app).get('/account');
    assert.equal(response.statusCode, 200);
    const csp = String(response.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|script-src/);
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.equal(response.headers['x-frame-options'], 'DENY');
    assert.doesNotMatch(response.body, /<script/);
    assert.match(response.body, /name="password"/);
    const [nonce] = CookieBrowser.setCookies(response);
    assert.match(nonce!, /^gatehouse_account_csrf=[A-Za-z0-9_-]{43}; Max-Age=3600; Path=\/; HttpOnly; SameSite=Lax$/);
  });

  it('refuses a sign-in POST without the form\'s CSRF token (403), or with another browser\'s', async () => {
    const browser = new CookieBrowser(t.app);
    const form = await browser.get('/account');
    assert.equal((await browser.post('/account/login', { username, password: PASSWORD })).statusCode, 403);
    const other = browser.fresh();
    await other.get('/account');
    assert.equal((await other.post('/account/login', { csrf_token: csrfOf(form.body), username, password: PASSWORD })).statusCode, 403);
    assert.equal(browser.cookies.has('gatehouse_session'), false);
  });

  it('answers a wrong password with one message and 401, and starts no session', async () => {
    const browser = new CookieBrowser(t.app);
    const form = await browser.get('/account');
    const response = await browser.post('/account/login', { csrf_token: csrfOf(form.body), username, password: 'wrong password' });
    assert.equal(response.statusCode, 401);
    assert.match(response.body, /Incorrect username or password\./);
    assert.equal(browser.cookies.has('gatehouse_session'), false);
  });

  it('signs in with a session cookie: HttpOnly, SameSite=Lax, Path=/, not Secure on an http issuer, kept for the absolute lifetime', async () => {
    const browser = new CookieBrowser(t.app);
    const form = await browser.get('/account');
    const response = await browser.post('/account/login', { csrf_token: csrfOf(form.body), username, password: PASSWORD });
    assert.equal(locationOf(response, 303).pathname, '/account');
    const cookies = CookieBrowser.setCookies(response);
    assert.ok(cookies.some((cookie) => /^gatehouse_session=[A-Za-z0-9_-]{43}; Max-Age=28800; Path=\/; HttpOnly; SameSite=Lax$/.test(cookie)), cookies.join('\n'));
    assert.ok(cookies.some((cookie) => /^gatehouse_account_csrf=; Max-Age=0/.test(cookie)), 'the nonce cookie is cleared');
    const page = await browser.get('/account');
    assert.match(page.body, new RegExp(`Signed in as <strong>${username}</strong>`));
  });

  it('is throttled like the authorization login page (429 with Retry-After)', async () => {
    const browser = new CookieBrowser(t.app);
    let last;
    for (let i = 0; i < 6; i++) {
      const form = await browser.get('/account');
      last = await browser.post('/account/login', { csrf_token: csrfOf(form.body), username, password: `wrong password ${i}` });
    }
    assert.equal(last!.statusCode, 429);
    assert.ok(Number(last!.headers['retry-after']) > 0, 'Retry-After');
  });
});

describe('/account: connected applications', () => {
  it('lists the application: name, organisation, scopes with descriptions, tenants, granted and last used', async () => {
    const browser = new CookieBrowser(t.app);
    await signIn(browser);
    const empty = await browser.get('/account');
    assert.match(empty.body, /No application has access to your account\./);
    await authorize(browser);
    const page = await browser.get('/account');
    assert.match(page.body, /<h3>Invoice App<\/h3>/);
    assert.match(page.body, /Registered by Acme Corporation/);
    assert.match(page.body, /<strong>documents:read<\/strong> — Read your documents/);
    assert.match(page.body, /Workspaces: <strong>Acme Corporation<\/strong>, <strong>Globex Inc\.<\/strong>/);
    assert.match(page.body, /Granted \d{4}-\d\d-\d\d \d\d:\d\d UTC · last used \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    assert.equal((page.body.match(/name="csrf_token"/g) ?? []).length, 3, 'Revoke, change password and sign out each carry the token');
  });

  it('the sign-in on /account is the one /oauth/authorize uses: no login page, and the remembered consent skips the consent page too', async () => {
    const browser = new CookieBrowser(t.app);
    await signIn(browser);
    const pkce = pkcePair();
    const query = new URLSearchParams({ response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT_URI, scope: 'documents:read', code_challenge: pkce.challenge, code_challenge_method: 'S256' });
    const consent = await browser.get(`/oauth/authorize?${query.toString()}`);
    assert.equal(consent.statusCode, 200);
    assert.doesNotMatch(consent.body, /name="password"/);
    assert.match(consent.body, /Authorize Invoice App/);
    await browser.post('/oauth/authorize/consent', [['csrf_token', csrfOf(consent.body)], ['decision', 'allow'], ['tenant', 'acme']]);
    const direct = await browser.get(`/oauth/authorize?${query.toString()}`);
    assert.ok(locationOf(direct).searchParams.get('code'), 'straight back with a code');
  });

  it('Revoke (with CSRF) withdraws the grant: the refresh token is refused, the access token reported revoked, the consent forgotten, audited as the user', async () => {
    const browser = new CookieBrowser(t.app);
    await signIn(browser);
    const tokens = await authorize(browser);
    const page = await browser.get('/account');
    assert.equal((await browser.post('/account/revoke', { client_id: app.clientId })).statusCode, 403, 'no CSRF token: refused');
    assert.equal((await browser.post('/account/revoke', { client_id: app.clientId, csrf_token: 'forged' })).statusCode, 403);
    assert.equal((await refresh(t.app, app, tokens.refresh_token)).statusCode, 200, 'still live after the refused posts');
    const fresh = await authorize(browser); // a current refresh token of a live grant (the first one rotated)
    const verify = () => t.gatehouse.verifier().verify({ headers: { authorization: `Bearer ${fresh.access_token}` }, url: '/documents' }, { tenant: 'free' });
    assert.equal((await verify()).sub, (await t.gatehouse.storage.users.findUserByUsername(username))!.id, 'the verifier accepts it before');
    const before = await feed(0);
    const revoked = await browser.post('/account/revoke', { client_id: app.clientId, csrf_token: csrfOf(page.body) });
    assert.equal(locationOf(revoked, 303).search, '?notice=revoked');
    assert.match((await browser.get('/account?notice=revoked')).body, /Access revoked/);

    const refused = await refresh(t.app, app, fresh.refresh_token);
    assert.equal(refused.statusCode, 400);
    assert.equal((refused.json() as { error: string }).error, 'invalid_grant');
    const after = await feed(before.revision);
    const grantId = String(JSON.parse(Buffer.from(fresh.access_token.split('.')[1]!, 'base64url').toString()).grant_id);
    assert.ok(after.grants.includes(grantId), 'the revocation feed lists the grant of the access token');
    const introspection = await postForm(t.app, '/oauth/introspect', { token: fresh.access_token }, { authorization: basicAuth(feedReader.clientId, feedReader.secret) });
    assert.equal((introspection.json() as { active: boolean }).active, false);
    // The verifier follows the feed (at most a second behind): wait for it, without a timing assertion.
    let verdict: unknown;
    for (let i = 0; i < 100 && verdict === undefined; i++) {
      verdict = await verify().then(() => undefined, (error: unknown) => error);
      if (verdict === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.match(String(verdict), /revoked/i);

    const listed = await browser.get('/account');
    assert.doesNotMatch(listed.body, /<h3>Invoice App<\/h3>/);
    const pkce = pkcePair();
    const again = await browser.get(`/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT_URI, code_challenge: pkce.challenge, code_challenge_method: 'S256' }).toString()}`);
    assert.match(again.body, /Authorize Invoice App/, 'the consent is forgotten: asked again');
    const events = (await t.gatehouse.audit.list({ action: 'grant.revoke', actor: `user:${username}`, limit: 10 })).events;
    assert.ok(events.length >= 1 && events.every((event) => event.outcome === 'success'), 'grant.revoke recorded as the user');
  });
});

async function feed(since: number): Promise<{ revision: number; grants: string[] }> {
  const response = await t.app.inject({ method: 'GET', url: `/oauth/revocations?since=${since}`, headers: { authorization: basicAuth(feedReader.clientId, feedReader.secret) } });
  assert.equal(response.statusCode, 200, response.body);
  return response.json() as { revision: number; grants: string[] };
}

describe('/account: password and sign-out', () => {
  it('changes the password (current + new twice), ending the user\'s other sessions but not this one', async () => {
    const browser = new CookieBrowser(t.app);
    const elsewhere = browser.fresh();
    await signIn(browser);
    await signIn(elsewhere);
    const csrf = csrfOf((await browser.get('/account')).body);
    const change = (fields: Record<string, string>) => browser.post('/account/password', { csrf_token: csrf, current_password: PASSWORD, new_password: NEW_PASSWORD, new_password_again: NEW_PASSWORD, ...fields });

    assert.equal((await browser.post('/account/password', { current_password: PASSWORD, new_password: NEW_PASSWORD, new_password_again: NEW_PASSWORD })).statusCode, 403, 'no CSRF token');
    const wrong = await change({ current_password: 'not the password' });
    assert.equal(wrong.statusCode, 401);
    assert.match(wrong.body, /The current password is not correct\./);
    const mismatch = await change({ new_password_again: 'something else entirely' });
    assert.equal(mismatch.statusCode, 400);
    assert.match(mismatch.body, /differ/);
    const short = await change({ new_password: 'short', new_password_again: 'short' });
    assert.equal(short.statusCode, 400);
    assert.match(short.body, /at least 10 characters/);

    assert.equal(locationOf(await change({}), 303).search, '?notice=password');
    assert.match((await browser.get('/account')).body, /Signed in as/, 'this session goes on');
    assert.match((await elsewhere.get('/account')).body, /name="password"/, 'the other session has ended');
    const oldPassword = browser.fresh();
    const form = await oldPassword.get('/account');
    assert.equal((await oldPassword.post('/account/login', { csrf_token: csrfOf(form.body), username, password: PASSWORD })).statusCode, 401);
    await signIn(oldPassword, NEW_PASSWORD);
    const events = (await t.gatehouse.audit.list({ action: 'user.change_password', actor: `user:${username}`, limit: 1 })).events;
    assert.equal(events[0]?.target, username);
  });

  it('signs out (POST with CSRF): the cookie is cleared and the session ended; without the token, refused', async () => {
    const browser = new CookieBrowser(t.app);
    await signIn(browser);
    const token = browser.cookies.get('gatehouse_session')!;
    assert.equal((await browser.post('/account/logout', {})).statusCode, 403);
    const out = await browser.post('/account/logout', { csrf_token: csrfOf((await browser.get('/account')).body) });
    assert.equal(locationOf(out, 303).search, '?notice=signed-out');
    assert.ok(CookieBrowser.setCookies(out).some((cookie) => /^gatehouse_session=; Max-Age=0; Path=\/; HttpOnly; SameSite=Lax$/.test(cookie)), 'the session cookie is cleared');
    const replayed = new CookieBrowser(t.app);
    replayed.cookies.set('gatehouse_session', token);
    assert.match((await replayed.get('/account')).body, /name="password"/, 'the token no longer names a session');
  });

  it('a POST without a session goes back to the sign-in form, changing nothing', async () => {
    const response = await new CookieBrowser(t.app).post('/account/revoke', { client_id: app.clientId, csrf_token: 'x' });
    assert.equal(locationOf(response, 303).pathname, '/account');
  });
});
