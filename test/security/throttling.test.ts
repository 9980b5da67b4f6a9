/**
 * Throttling under concurrency (issue 16, "The suite"): a burst of parallel failures is
 * counted exactly, refused with 429 and Retry-After once over the limit, touches nobody
 * else, and the login lockout holds on every path that checks a password.
 *
 * Semantics (core/client-auth.ts, core/user-auth.ts):
 * - client authentication: every failure is counted; with a limit of N per client_id, the
 *   first N failures are 401 invalid_client and every one after them 429; the right secret
 *   is never refused (a 256-bit secret cannot be guessed: the throttle bounds load);
 * - passwords: with a limit of N per username, at most N passwords are checked in the
 *   window (a check under way counts as a failure), so a burst gets exactly N "incorrect"
 *   answers and the rest 429; then the username is locked, right password included, on
 *   every path that checks a password of that kind of account (end users: the
 *   authorization login page, /account sign-in, /account password change; admin accounts:
 *   /admin/login, /admin/account/mfa/disable). No CLI or admin API command checks a
 *   password: they set them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { createClient, createTestGatehouse, postForm, type TestClient, type TestGatehouse } from '../helpers/gatehouse.js';
import { CookieBrowser, csrfOf, locationOf } from '../helpers/cookie-browser.js';
import { submitDashboardLogin } from '../helpers/dashboard.js';
import { basicAuth, pkcePair } from '../helpers/tokens.js';
import { base32Decode, totpCode } from '../../packages/server/src/core/totp.js';
import { REDIRECT_URI } from '../helpers/user-delegation.js';

const CLIENT_LIMIT = 10;
const USER_LIMIT = 5;
const WINDOW = 600;
const BURST = 50;
const PASSWORD = 'correct horse battery staple';

let t: TestGatehouse;
let app: TestClient;

before(async () => {
  t = await createTestGatehouse({
    config: {
      throttleWindow: WINDOW,
      throttleMaxFailuresPerClient: CLIENT_LIMIT,
      loginMaxFailuresPerUser: USER_LIMIT,
      // Every injected request comes from 127.0.0.1: the per-address limits stay out of the way.
      throttleMaxFailuresPerAddress: 100_000,
      loginMaxFailuresPerAddress: 100_000,
    },
  });
  await t.gatehouse.admin.tenants.create({ slug: 'acme', name: 'Acme' });
  app = await createClient(t.gatehouse, { tenant: 'acme', name: 'Invoice App', grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'], redirectUris: [REDIRECT_URI] });
});
after(() => t.close());

/** How many answers had each status, e.g. { 401: 10, 429: 40 }. */
function statuses(responses: readonly LightMyRequestResponse[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const response of responses) counts[response.statusCode] = (counts[response.statusCode] ?? 0) + 1;
  return counts;
}

/** A 429 carries Retry-After: whole seconds, at least 1, at most the window. */
function assertRetryAfter(response: LightMyRequestResponse): void {
  assert.equal(response.statusCode, 429, response.body.slice(0, 300));
  const value = String(response.headers['retry-after']);
  assert.match(value, /^[1-9][0-9]*$/, `Retry-After: ${value}`);
  assert.ok(Number(value) <= WINDOW, `Retry-After ${value} is within the window`);
}

const tokenRequest = (clientId: string, secret: string) => postForm(t.app, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basicAuth(clientId, secret) });

describe('throttling: client authentication', () => {
  it(`counts ${BURST} parallel wrong secrets for one client exactly: ${CLIENT_LIMIT} × 401, then 429 with Retry-After`, async () => {
    const target = await createClient(t.gatehouse, { tenant: 'acme', name: 'Target' });
    const bystander = await createClient(t.gatehouse, { tenant: 'acme', name: 'Bystander' });
    const wrong = target.secret.slice(0, -1) + (target.secret.endsWith('A') ? 'B' : 'A');
    const responses = await Promise.all(Array.from({ length: BURST }, () => tokenRequest(target.clientId, wrong)));
    assert.deepEqual(statuses(responses), { 401: CLIENT_LIMIT, 429: BURST - CLIENT_LIMIT });
    for (const response of responses.filter((r) => r.statusCode === 429)) {
      assertRetryAfter(response);
      assert.equal(response.json().error, 'temporarily_unavailable');
    }
    // Still counted after the burst: the next failure is refused too.
    assertRetryAfter(await tokenRequest(target.clientId, wrong));
    // The right secret is never refused, and other clients are not touched.
    assert.equal((await tokenRequest(target.clientId, target.secret)).statusCode, 200);
    const other = await tokenRequest(bystander.clientId, 'gatehouse_secret_wrong');
    assert.equal(other.statusCode, 401, other.body);
    assert.equal((await tokenRequest(bystander.clientId, bystander.secret)).statusCode, 200);
  });
});

/** Opens the authorization login page: the browser holds its transaction cookie. */
async function openLoginPage(browser: CookieBrowser): Promise<string> {
  const pkce = pkcePair();
  const query = new URLSearchParams({ response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT_URI, scope: 'documents:read', state: 's', code_challenge: pkce.challenge, code_challenge_method: 'S256' });
  const page = await browser.get(`/oauth/authorize?${query.toString()}`);
  assert.equal(page.statusCode, 200, page.body.slice(0, 300));
  assert.match(page.body, /name="password"/);
  return csrfOf(page.body);
}

async function createUser(username: string): Promise<void> {
  await t.gatehouse.admin.users.create({ tenant: 'acme', username, password: PASSWORD });
}

describe('throttling: end-user passwords', () => {
  it(`counts ${BURST} parallel wrong passwords at the authorization login page exactly, then locks the user on every path`, async () => {
    await createUser('ada');
    await createUser('grace');
    // Signed in on /account before the burst: the password change checks the password too.
    const signedIn = new CookieBrowser(t.app);
    const form = await signedIn.get('/account');
    locationOf(await signedIn.post('/account/login', { csrf_token: csrfOf(form.body), username: 'ada', password: PASSWORD }), 303);

    const browser = new CookieBrowser(t.app);
    const csrf = await openLoginPage(browser);
    const responses = await Promise.all(Array.from({ length: BURST }, (_, i) => browser.post('/oauth/authorize/login', { csrf_token: csrf, username: 'ada', password: `wrong password ${i}` })));
    assert.deepEqual(statuses(responses), { 401: USER_LIMIT, 429: BURST - USER_LIMIT });
    for (const response of responses.filter((r) => r.statusCode === 429)) assertRetryAfter(response);

    // Locked, right password included, on the authorization login page …
    assertRetryAfter(await browser.post('/oauth/authorize/login', { csrf_token: csrf, username: 'ada', password: PASSWORD }));
    // … in another letter case (the key is the normalised username) …
    assertRetryAfter(await browser.post('/oauth/authorize/login', { csrf_token: csrf, username: 'ADA', password: PASSWORD }));
    // … at /account sign-in …
    const account = new CookieBrowser(t.app);
    const accountForm = await account.get('/account');
    assertRetryAfter(await account.post('/account/login', { csrf_token: csrfOf(accountForm.body), username: 'ada', password: PASSWORD }));
    // … and at the password change of a session opened before the lock.
    const hashBefore = (await t.gatehouse.storage.users.findUserByUsername('ada'))!.passwordHash;
    const overview = await signedIn.get('/account');
    assert.equal(overview.statusCode, 200);
    const change = await signedIn.post('/account/password', { csrf_token: csrfOf(overview.body), current_password: PASSWORD, new_password: 'another long passphrase', new_password_again: 'another long passphrase' });
    assertRetryAfter(change);
    assert.equal((await t.gatehouse.storage.users.findUserByUsername('ada'))!.passwordHash, hashBefore, 'the password is unchanged');

    // Another user from the same address signs in at once.
    const other = new CookieBrowser(t.app);
    const otherCsrf = await openLoginPage(other);
    const signIn = await other.post('/oauth/authorize/login', { csrf_token: otherCsrf, username: 'grace', password: PASSWORD });
    assert.equal(signIn.statusCode, 200, signIn.body.slice(0, 300));
    assert.match(signIn.body, /name="decision"/);
  });

  it(`counts ${BURST} parallel wrong passwords at /account sign-in exactly, and the authorization login page is locked too`, async () => {
    await createUser('linus');
    const browser = new CookieBrowser(t.app);
    const form = await browser.get('/account');
    const csrf = csrfOf(form.body);
    const responses = await Promise.all(Array.from({ length: BURST }, (_, i) => browser.post('/account/login', { csrf_token: csrf, username: 'linus', password: `wrong password ${i}` })));
    assert.deepEqual(statuses(responses), { 401: USER_LIMIT, 429: BURST - USER_LIMIT });
    for (const response of responses.filter((r) => r.statusCode === 429)) assertRetryAfter(response);
    const login = new CookieBrowser(t.app);
    const loginCsrf = await openLoginPage(login);
    assertRetryAfter(await login.post('/oauth/authorize/login', { csrf_token: loginCsrf, username: 'linus', password: PASSWORD }));
  });
});

describe('throttling: admin account passwords', () => {
  it(`counts ${BURST} parallel wrong passwords at /admin/login exactly, locks that admin only, and not the end user of the same name`, async () => {
    await t.gatehouse.admin.accounts.create({ username: 'ops', password: PASSWORD });
    await t.gatehouse.admin.accounts.create({ username: 'ops2', password: PASSWORD });
    await createUser('ops');
    const login = await t.app.inject({ method: 'GET', url: '/admin/login' });
    const cookie = String(login.headers['set-cookie']).split(';', 1)[0]!;
    const csrf = csrfOf(login.body);
    const responses = await Promise.all(Array.from({ length: BURST }, (_, i) => postForm(t.app, '/admin/login', { csrf_token: csrf, username: 'ops', password: `wrong password ${i}` }, { cookie })));
    assert.deepEqual(statuses(responses), { 401: USER_LIMIT, 429: BURST - USER_LIMIT });
    for (const response of responses.filter((r) => r.statusCode === 429)) assertRetryAfter(response);

    assertRetryAfter((await submitDashboardLogin(t, 'ops', PASSWORD)).response);
    assert.equal((await submitDashboardLogin(t, 'ops2', PASSWORD)).response.statusCode, 303);
    // Admin accounts and end users are counted apart.
    const browser = new CookieBrowser(t.app);
    const userCsrf = await openLoginPage(browser);
    assert.equal((await browser.post('/oauth/authorize/login', { csrf_token: userCsrf, username: 'ops', password: PASSWORD })).statusCode, 200);
  });

  it('locks the password path of turning off two-step verification after a burst at /admin/login', async () => {
    await t.gatehouse.admin.accounts.create({ username: 'mfa.ops', password: PASSWORD });
    // Signed in, with TOTP enrolled, before the burst.
    const admin = new CookieBrowser(t.app);
    const login = await admin.get('/admin/login');
    locationOf(await admin.post('/admin/login', { csrf_token: csrfOf(login.body), username: 'mfa.ops', password: PASSWORD }), 303);
    const mfa = await admin.get('/admin/account/mfa');
    const secret = base32Decode(/<code id="totp-secret">([A-Z2-7 ]+)<\/code>/.exec(mfa.body)?.[1] ?? assert.fail('no TOTP secret'))!;
    const enrolment = /name="enrolment" value="([^"]+)"/.exec(mfa.body)?.[1] ?? assert.fail('no enrolment');
    const enrolled = await admin.post('/admin/account/mfa/enrol', { csrf_token: csrfOf(mfa.body), enrolment, code: totpCode(secret, Date.now()) });
    assert.equal(enrolled.statusCode, 200, enrolled.body.slice(0, 300));

    const attacker = await t.app.inject({ method: 'GET', url: '/admin/login' });
    const cookie = String(attacker.headers['set-cookie']).split(';', 1)[0]!;
    const responses = await Promise.all(Array.from({ length: BURST }, (_, i) => postForm(t.app, '/admin/login', { csrf_token: csrfOf(attacker.body), username: 'mfa.ops', password: `wrong password ${i}` }, { cookie })));
    assert.deepEqual(statuses(responses), { 401: USER_LIMIT, 429: BURST - USER_LIMIT });

    const page = await admin.get('/admin/account/mfa');
    const refused = await admin.post('/admin/account/mfa/disable', { csrf_token: csrfOf(page.body), password: PASSWORD });
    assertRetryAfter(refused);
    // Retry-After is the time left of the lock (about the whole window here), not a fixed minute.
    assert.ok(Number(refused.headers['retry-after']) > 60, `Retry-After ${String(refused.headers['retry-after'])}`);
    assert.equal((await t.gatehouse.storage.adminAccounts.findAdminAccountByUsername('mfa.ops'))?.mfaEnabled, true, 'two-step verification stays on');
  });
});
