/**
 * The end users' sign-in session (issue 14) over HTTP, through fastify.inject: the cookie
 * on http and https issuers, /oauth/authorize on top of it (prompt handling), idle and
 * absolute expiry with an injected clock, and the ways it ends (disabling, password
 * reset, revoke-sessions from the service and the CLI) — honoured by a second app on the
 * same database (SQLite file; PostgreSQL when GATEHOUSE_TEST_POSTGRES_URL is set).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../packages/server/src/core/config.js';
import { runCli } from '../cli/in-process.js';
import { CookieBrowser, csrfOf, locationOf } from '../helpers/cookie-browser.js';
import { createClient, createTestGatehouse, openTestApp, TEST_ISSUER, type TestApp, type TestClient, type TestGatehouse } from '../helpers/gatehouse.js';
import { STORAGE_TARGETS } from '../helpers/postgres.js';
import { createTempDir } from '../helpers/temp-dir.js';
import { pkcePair } from '../helpers/tokens.js';
import { REDIRECT_URI } from '../helpers/user-delegation.js';

const PASSWORD = 'correct horse battery';
const MINUTE = 60_000;

function authorizeUrl(client: TestClient, extra: Record<string, string> = {}): string {
  const { challenge } = pkcePair();
  const query = { response_type: 'code', client_id: client.clientId, redirect_uri: REDIRECT_URI, scope: 'documents:read', state: 'st', code_challenge: challenge, code_challenge_method: 'S256', ...extra };
  return `/oauth/authorize?${new URLSearchParams(query).toString()}`;
}

const isLoginPage = (body: string) => /name="password"/.test(body) && /action="\/oauth\/authorize\/login"/.test(body);

/** Signs in through the authorization login page, allowing on the consent page: the browser holds the session. */
async function signInThroughAuthorize(browser: CookieBrowser, client: TestClient, username: string): Promise<void> {
  const login = await browser.get(authorizeUrl(client));
  assert.ok(isLoginPage(login.body), login.body.slice(0, 200));
  const consent = await browser.post('/oauth/authorize/login', { csrf_token: csrfOf(login.body), username, password: PASSWORD });
  if (consent.statusCode === 200) locationOf(await browser.post('/oauth/authorize/consent', { csrf_token: csrfOf(consent.body), decision: 'allow' }));
  else locationOf(consent);
}

describe('the sign-in session cookie', () => {
  let http: TestGatehouse;
  let https: TestGatehouse;
  let clients: Map<TestGatehouse, TestClient>;

  before(async () => {
    http = await createTestGatehouse();
    https = await createTestGatehouse({ config: { issuer: 'https://auth.example.com' } });
    clients = new Map();
    for (const t of [http, https]) {
      clients.set(t, await createClient(t.gatehouse, { tenant: 'acme', grantTypes: ['authorization_code'], redirectUris: [REDIRECT_URI] }));
      await t.gatehouse.admin.users.create({ tenant: 'acme', username: 'carol', password: PASSWORD });
    }
  });
  after(async () => {
    await http?.close();
    await https?.close();
  });

  async function loginCookies(t: TestGatehouse): Promise<string[]> {
    const browser = new CookieBrowser(t.app);
    const login = await browser.get(authorizeUrl(clients.get(t)!));
    const response = await browser.post('/oauth/authorize/login', { csrf_token: csrfOf(login.body), username: 'carol', password: PASSWORD });
    return CookieBrowser.setCookies(response);
  }

  it('on an http issuer: gatehouse_session, HttpOnly, SameSite=Lax, Path=/, no Secure', async () => {
    const session = (await loginCookies(http)).find((cookie) => cookie.startsWith('gatehouse_session='));
    assert.match(session!, /^gatehouse_session=[A-Za-z0-9_-]{43}; Max-Age=28800; Path=\/; HttpOnly; SameSite=Lax$/);
  });

  it('on an https issuer: __Host-gatehouse_session with Secure (and the /account nonce cookie likewise)', async () => {
    const cookies = await loginCookies(https);
    const session = cookies.find((cookie) => cookie.startsWith('__Host-gatehouse_session='));
    assert.match(session!, /^__Host-gatehouse_session=[A-Za-z0-9_-]{43}; Max-Age=28800; Path=\/; HttpOnly; SameSite=Lax; Secure$/, cookies.join('\n'));
    assert.ok(!cookies.some((cookie) => cookie.startsWith('gatehouse_session=')), 'no unprefixed cookie');
    const form = await new CookieBrowser(https.app).get('/account');
    assert.match(CookieBrowser.setCookies(form)[0]!, /^__Host-gatehouse_account_csrf=[^;]+; Max-Age=3600; Path=\/; HttpOnly; SameSite=Lax; Secure$/);
  });

  it('on an https issuer a cookie without the __Host- prefix is no session', async () => {
    const token = (await loginCookies(https)).find((cookie) => cookie.startsWith('__Host-gatehouse_session='))!.split(';')[0]!.split('=')[1]!;
    const browser = new CookieBrowser(https.app);
    browser.cookies.set('gatehouse_session', token);
    assert.ok(isLoginPage((await browser.get(authorizeUrl(clients.get(https)!))).body), 'an unprefixed cookie is ignored');
    browser.cookies.set('__Host-gatehouse_session', token);
    assert.ok(!isLoginPage((await browser.get(authorizeUrl(clients.get(https)!))).body), 'the __Host- cookie is the session');
  });
});

describe('/oauth/authorize on the sign-in session', () => {
  let t: TestGatehouse;
  let client: TestClient;
  let other: TestClient;

  before(async () => {
    t = await createTestGatehouse();
    client = await createClient(t.gatehouse, { tenant: 'acme', name: 'Remembered App', grantTypes: ['authorization_code'], redirectUris: [REDIRECT_URI] });
    other = await createClient(t.gatehouse, { tenant: 'acme', name: 'New App', grantTypes: ['authorization_code'], redirectUris: [REDIRECT_URI] });
    await t.gatehouse.admin.users.create({ tenant: 'acme', username: 'dora', password: PASSWORD });
  });
  after(() => t.close());

  it('after a login, the next authorization skips the login page and, under the remembered consent, shows no page at all', async () => {
    const browser = new CookieBrowser(t.app);
    await signInThroughAuthorize(browser, client, 'dora');
    const direct = await browser.get(authorizeUrl(client));
    const url = locationOf(direct);
    assert.ok(url.searchParams.get('code'), 'a code');
    assert.equal(url.searchParams.get('state'), 'st');
    assert.equal(url.searchParams.get('iss'), TEST_ISSUER);
    const consent = await browser.get(authorizeUrl(other));
    assert.equal(consent.statusCode, 200);
    assert.match(consent.body, /Authorize New App/);
  });

  it('prompt=none: a code with a session and a covering consent; consent_required without the consent; login_required without a session', async () => {
    const browser = new CookieBrowser(t.app);
    await signInThroughAuthorize(browser, client, 'dora');
    assert.ok(locationOf(await browser.get(authorizeUrl(client, { prompt: 'none' }))).searchParams.get('code'), 'a code');
    const consent = locationOf(await browser.get(authorizeUrl(other, { prompt: 'none' })));
    assert.equal(consent.searchParams.get('error'), 'consent_required');
    assert.equal(consent.searchParams.get('state'), 'st');
    assert.equal(consent.searchParams.get('iss'), TEST_ISSUER);
    const login = locationOf(await browser.fresh().get(authorizeUrl(client, { prompt: 'none' })));
    assert.equal(login.searchParams.get('error'), 'login_required');
  });

  it('prompt=login asks for the password again despite the session, and the new login replaces the session', async () => {
    const browser = new CookieBrowser(t.app);
    await signInThroughAuthorize(browser, client, 'dora');
    const before = browser.cookies.get('gatehouse_session');
    const login = await browser.get(authorizeUrl(client, { prompt: 'login' }));
    assert.ok(isLoginPage(login.body), 'the login page');
    locationOf(await browser.post('/oauth/authorize/login', { csrf_token: csrfOf(login.body), username: 'dora', password: PASSWORD }));
    assert.notEqual(browser.cookies.get('gatehouse_session'), before, 'a fresh session token');
    const stale = browser.fresh();
    stale.cookies.set('gatehouse_session', before!);
    assert.ok(isLoginPage((await stale.get(authorizeUrl(client))).body), 'the replaced session has ended');
  });
});

describe('idle and absolute expiry (injected clock)', () => {
  let t: TestGatehouse;
  let now = Date.now();

  before(async () => {
    t = await createTestGatehouse({ clock: () => now, config: { userSessionIdleTtl: 30 * 60, userSessionMaxAge: 60 * 60 } });
    await t.gatehouse.admin.users.create({ tenant: 'acme', username: 'erin', password: PASSWORD }).catch(async () => {
      await t.gatehouse.admin.tenants.create({ slug: 'acme' });
      await t.gatehouse.admin.users.create({ tenant: 'acme', username: 'erin', password: PASSWORD });
    });
  });
  after(() => t.close());

  async function signedIn(): Promise<CookieBrowser> {
    const browser = new CookieBrowser(t.app);
    const form = await browser.get('/account');
    locationOf(await browser.post('/account/login', { csrf_token: csrfOf(form.body), username: 'erin', password: PASSWORD }), 303);
    return browser;
  }
  const isSignedIn = async (browser: CookieBrowser) => /Signed in as/.test((await browser.get('/account')).body);

  it('ends after the idle lifetime without use', async () => {
    const browser = await signedIn();
    now += 29 * MINUTE;
    assert.equal(await isSignedIn(browser), true);
    now += 31 * MINUTE;
    assert.equal(await isSignedIn(browser), false);
  });

  it('a use extends the idle lifetime, but the absolute lifetime ends the session however it is used', async () => {
    const browser = await signedIn();
    for (let minutes = 20; minutes < 60; minutes += 20) {
      now += 20 * MINUTE;
      assert.equal(await isSignedIn(browser), true, `after ${minutes} minutes, used every 20`);
    }
    now += 20 * MINUTE;
    assert.equal(await isSignedIn(browser), false, 'after 60 minutes');
  });
});

for (const target of STORAGE_TARGETS) {
  describe(`ending sessions, honoured by every process (${target.name})`, { skip: target.skip }, () => {
    const dir = createTempDir('gatehouse-sessions-cluster-');
    let database: { url: string; cleanup(): Promise<void> };
    let first: TestApp;
    let second: TestApp;
    let client: TestClient;
    let counter = 0;

    before(async () => {
      database = await target.create(dir.path);
      const config = loadConfig({ databaseUrl: database.url, dataDir: dir.path, issuer: TEST_ISSUER, logLevel: 'silent' });
      first = await openTestApp(config, { signingKey: true });
      second = await openTestApp(config);
      client = await createClient(first.gatehouse, { tenant: 'acme', grantTypes: ['authorization_code'], redirectUris: [REDIRECT_URI] });
    });
    after(async () => {
      await second?.close();
      await first?.close();
      await database?.cleanup();
      dir.remove();
    });

    /** A new user signed in on the first process; the second process honours the session. */
    async function signedInOnBoth(): Promise<{ username: string; onSecond: CookieBrowser }> {
      const username = `frank${++counter}`;
      await first.gatehouse.admin.users.create({ tenant: 'acme', username, password: PASSWORD });
      const browser = new CookieBrowser(first.app);
      await signInThroughAuthorize(browser, client, username);
      const onSecond = browser.fresh(second.app);
      onSecond.cookies.set('gatehouse_session', browser.cookies.get('gatehouse_session')!);
      assert.ok(locationOf(await onSecond.get(authorizeUrl(client))).searchParams.get('code'), 'the second process honours the session');
      assert.match((await onSecond.get('/account')).body, /Signed in as/);
      return { username, onSecond };
    }

    const refusedOn = async (browser: CookieBrowser) => {
      assert.ok(isLoginPage((await browser.get(authorizeUrl(client))).body), 'the login page again');
      assert.match((await browser.get('/account')).body, /action="\/account\/login"/);
    };

    it('disabling the user ends its sessions', async () => {
      const { username, onSecond } = await signedInOnBoth();
      await first.gatehouse.admin.users.disable(username);
      await refusedOn(onSecond);
    });

    it("an operator's password reset ends them", async () => {
      const { username, onSecond } = await signedInOnBoth();
      await first.gatehouse.admin.users.setPassword(username, 'a brand new password');
      await refusedOn(onSecond);
    });

    it('revoke-sessions ends them, audited with the count', async () => {
      const { username, onSecond } = await signedInOnBoth();
      const { ended } = await first.gatehouse.admin.users.revokeSessions(username);
      assert.equal(ended, 1);
      await refusedOn(onSecond);
      const [event] = (await first.gatehouse.audit.list({ action: 'user.revoke_sessions', limit: 1 })).events;
      assert.equal(event?.target, username);
      assert.deepEqual(event?.details, { sessions: 1 });
    });

    it('a logout on one process ends the session on the other', async () => {
      const { onSecond } = await signedInOnBoth();
      const onFirst = onSecond.fresh(first.app);
      onFirst.cookies.set('gatehouse_session', onSecond.cookies.get('gatehouse_session')!);
      const csrf = csrfOf((await onFirst.get('/account')).body);
      locationOf(await onFirst.post('/account/logout', { csrf_token: csrf }), 303);
      await refusedOn(onSecond);
    });

    it('`gatehouse user revoke-sessions <username>` ends them (SQLite: the CLI on the same file)', { skip: target.name !== 'sqlite' }, async () => {
      const { username, onSecond } = await signedInOnBoth();
      const run = await runCli(['user', 'revoke-sessions', username, '--db', database.url], { env: { GATEHOUSE_DATA_DIR: dir.path } });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`user ${username} signed out: 1 session\\(s\\) ended`));
      await refusedOn(onSecond);
    });
  });
}

describe('storage down', () => {
  it('/account and /oauth/authorize with a session cookie answer a 503 page with Retry-After, never a 500', async () => {
    const t = await createTestGatehouse();
    try {
      const client = await createClient(t.gatehouse, { tenant: 'acme', grantTypes: ['authorization_code'], redirectUris: [REDIRECT_URI] });
      await t.gatehouse.admin.users.create({ tenant: 'acme', username: 'gina', password: PASSWORD });
      const browser = new CookieBrowser(t.app);
      await signInThroughAuthorize(browser, client, 'gina');
      await t.gatehouse.storage.close();
      for (const url of ['/account', authorizeUrl(client)]) {
        const response = await browser.get(url);
        assert.equal(response.statusCode, 503, `${url}: ${response.statusCode}`);
        assert.equal(response.headers['retry-after'], '5');
        assert.match(response.body, /temporarily unavailable/i);
      }
      const posted = await browser.post('/account/logout', { csrf_token: 'x' });
      assert.equal(posted.statusCode, 503);
    } finally {
      await t.close();
    }
  });
});
