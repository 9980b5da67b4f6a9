/**
 * The dashboard's sign-in, session and own pages (/admin), through fastify.inject: login
 * (wrong password, throttled, second factor), TOTP enrolment, replayed codes, single-use
 * recovery codes, logout, CSRF refusals, operator vs tenant admin, cookie attributes, and
 * the guard API the dashboard's sections build on.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { base32Decode, totpCode } from '../../packages/server/src/core/totp.js';
import { adminForm, adminGuard, requireAdmin } from '../../packages/server/src/server/routes/admin/guard.js';
import { createTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { FORM, form } from '../helpers/http.js';
import { DEFAULT_SITE } from '../../packages/server/src/web/site.js';

const PASSWORD = 'operator-pass-phrase-1';

/** A browser's cookies for one site, enough for these tests. */
class Browser {
  readonly cookies = new Map<string, string>();
  constructor(readonly app: FastifyInstance) {}

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private keep(response: LightMyRequestResponse): LightMyRequestResponse {
    const raw = response.headers['set-cookie'];
    for (const line of raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (/Max-Age=0/.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  async get(url: string): Promise<LightMyRequestResponse> {
    return this.keep(await this.app.inject({ method: 'GET', url, headers: { cookie: this.header() } }));
  }

  async post(url: string, body: Record<string, string>): Promise<LightMyRequestResponse> {
    return this.keep(await this.app.inject({ method: 'POST', url, headers: { cookie: this.header(), 'content-type': FORM }, payload: form(body) }));
  }
}

/** The value of a hidden or text input of the page. */
function field(page: string, name: string): string {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(page);
  assert.ok(match, `the page has a ${name} field`);
  return match[1]!.replace(/&amp;/g, '&').replace(/&#39;/g, "'").replace(/&quot;/g, '"');
}

async function signInWithPassword(browser: Browser, username: string, password = PASSWORD): Promise<LightMyRequestResponse> {
  const page = await browser.get('/admin/login');
  assert.equal(page.statusCode, 200);
  return browser.post('/admin/login', { csrf_token: field(page.body, 'csrf_token'), username, password });
}

async function signIn(browser: Browser, username: string): Promise<void> {
  const response = await signInWithPassword(browser, username);
  assert.equal(response.statusCode, 303, response.body);
  assert.equal(response.headers.location, '/admin');
}

describe('admin sign-in (http issuer)', () => {
  let t: TestGatehouse;
  before(async () => {
    t = await createTestGatehouse({ config: { loginMaxFailuresPerUser: 3 } });
    await t.gatehouse.admin.tenants.create({ slug: 'acme', accessTokenTtl: null });
    await t.gatehouse.admin.accounts.create({ username: 'ops', password: PASSWORD });
    await t.gatehouse.admin.accounts.create({ tenant: 'acme', username: 'acme.admin', password: PASSWORD });
    await t.gatehouse.admin.accounts.create({ username: 'locked.ops', password: PASSWORD });
    await t.gatehouse.admin.accounts.create({ username: 'mfa.ops', password: PASSWORD });
  });
  after(() => t?.close());

  it('sends a visitor without a session from /admin to the sign-in page', async () => {
    const response = await new Browser(t.app).get('/admin');
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, '/admin/login');
  });

  it('serves the login page with a CSP without script and frame-ancestors none, no-store, labelled fields and a CSRF token', async () => {
    const response = await new Browser(t.app).get('/admin/login');
    assert.equal(response.statusCode, 200);
    const csp = String(response.headers['content-security-policy']);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /script-src/);
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.doesNotMatch(response.body, /<script/i);
    assert.match(response.body, /<label for="username">/);
    assert.match(response.body, /<label for="password">/);
    assert.ok(field(response.body, 'csrf_token').length >= 40);
    assert.match(String(response.headers['set-cookie']), /^gatehouse_admin_signin=.*HttpOnly/);
  });

  it('refuses a login POST without the CSRF token (403), with a wrong one (403), and without the form cookie (400)', async () => {
    const browser = new Browser(t.app);
    const page = await browser.get('/admin/login');
    assert.equal((await browser.post('/admin/login', { username: 'ops', password: PASSWORD })).statusCode, 403);
    assert.equal((await browser.post('/admin/login', { csrf_token: 'x'.repeat(43), username: 'ops', password: PASSWORD })).statusCode, 403);
    const noCookie = await t.app.inject({ method: 'POST', url: '/admin/login', headers: { 'content-type': FORM }, payload: form({ csrf_token: field(page.body, 'csrf_token'), username: 'ops', password: PASSWORD }) });
    assert.equal(noCookie.statusCode, 400);
    assert.equal(browser.cookies.has('gatehouse_admin_session'), false, 'no session was started');
  });

  it('reads urlencoded forms only: a text/plain or JSON body, even with the right token and cookie, is refused (415) before any handler', async () => {
    const browser = new Browser(t.app);
    const page = await browser.get('/admin/login');
    const cookie = [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const body = form({ csrf_token: field(page.body, 'csrf_token'), username: 'ops', password: PASSWORD });
    for (const [type, payload] of [['text/plain', body], ['application/json', JSON.stringify({ csrf_token: field(page.body, 'csrf_token'), username: 'ops', password: PASSWORD })]] as const) {
      const response = await t.app.inject({ method: 'POST', url: '/admin/login', headers: { 'content-type': type, cookie }, payload });
      assert.equal(response.statusCode, 415, type);
      assert.match(String(response.headers['content-type']), /text\/html/);
      assert.equal(response.headers['set-cookie'], undefined, `${type}: no session`);
    }
  });

  it('keeps the first tab\'s login form valid when a second tab opens the login page', async () => {
    const browser = new Browser(t.app);
    const first = await browser.get('/admin/login');
    await browser.get('/admin/login');
    const response = await browser.post('/admin/login', { csrf_token: field(first.body, 'csrf_token'), username: 'ops', password: PASSWORD });
    assert.equal(response.statusCode, 303);
  });

  it('answers a wrong password and an unknown username alike (401, one message), and never echoes the password', async () => {
    const wrong = await signInWithPassword(new Browser(t.app), 'ops', 'not-the-password-1');
    const unknown = await signInWithPassword(new Browser(t.app), 'nobody.here', 'not-the-password-1');
    for (const response of [wrong, unknown]) {
      assert.equal(response.statusCode, 401);
      assert.match(response.body, /Incorrect username or password\./);
      assert.doesNotMatch(response.body, /not-the-password-1/);
    }
  });

  it('locks a username after too many failures: even the right password is refused as throttled (429, Retry-After)', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await signInWithPassword(new Browser(t.app), 'locked.ops', `wrong-password-${i}-x`)).statusCode, 401);
    const refused = await signInWithPassword(new Browser(t.app), 'locked.ops');
    assert.equal(refused.statusCode, 429);
    assert.ok(Number(refused.headers['retry-after']) > 0);
    assert.match(refused.body, /Too many failed sign-in attempts/);
    const events = await t.gatehouse.audit.list({ action: 'admin_login.throttled' });
    assert.ok(events.events.some((event) => event.target === 'admin:locked.ops'));
  });

  it('signs an operator in: a fresh HttpOnly admin session cookie (no Secure on http), and /admin names the operator', async () => {
    const browser = new Browser(t.app);
    const response = await signInWithPassword(browser, 'OPS');
    assert.equal(response.statusCode, 303);
    const cookies = ([] as string[]).concat(response.headers['set-cookie'] as string | string[]);
    const session = cookies.find((line) => line.startsWith('gatehouse_admin_session='));
    assert.ok(session, 'the session cookie is set');
    assert.match(session, /HttpOnly/);
    assert.match(session, /Path=\//);
    assert.match(session, /SameSite=(Lax|Strict)/);
    assert.doesNotMatch(session, /Secure/);
    assert.ok(cookies.some((line) => /^gatehouse_admin_signin=;.*Max-Age=0/.test(line)), 'the sign-in state is cleared');
    const home = await browser.get('/admin');
    assert.equal(home.statusCode, 200);
    assert.match(home.body, /signed in as <strong>ops<\/strong>, operator/);
    assert.match(home.body, /href="\/admin\/tenants"/);
    assert.equal(home.headers['cache-control'], 'no-store');
    assert.match(String(home.headers['content-security-policy']), /frame-ancestors 'none'/);
    const again = await browser.get('/admin/login');
    assert.equal(again.statusCode, 303, 'a signed-in admin is sent on to the dashboard');
  });

  it('ends the session a browser still held when it signs in again (another account\'s)', async () => {
    const browser = new Browser(t.app);
    await signIn(browser, 'acme.admin');
    const first = browser.cookies.get('gatehouse_admin_session')!;
    // The sign-in page of a browser that is not signed in (a signed-in one is sent on to /admin).
    const page = await t.app.inject({ method: 'GET', url: '/admin/login' });
    const signinCookie = ([] as string[]).concat(page.headers['set-cookie'] as string | string[])[0]!.split(';')[0]!;
    const response = await t.app.inject({
      method: 'POST',
      url: '/admin/login',
      headers: { cookie: `${signinCookie}; gatehouse_admin_session=${first}`, 'content-type': FORM },
      payload: form({ csrf_token: field(page.body, 'csrf_token'), username: 'ops', password: PASSWORD }),
    });
    assert.equal(response.statusCode, 303);
    const old = await t.app.inject({ method: 'GET', url: '/admin', headers: { cookie: `gatehouse_admin_session=${first}` } });
    assert.equal(old.statusCode, 303, 'the earlier session ended');
  });

  it('signs a tenant admin in as a tenant principal of its tenant', async () => {
    const browser = new Browser(t.app);
    await signIn(browser, 'acme.admin');
    const home = await browser.get('/admin');
    assert.match(home.body, /tenant admin of acme/);
    assert.match(home.body, /href="\/admin\/tenants\/acme"/);
    assert.doesNotMatch(home.body, /href="\/admin\/keys"/);
  });

  it('refuses a dashboard POST without a valid CSRF token (403) and does nothing', async () => {
    const browser = new Browser(t.app);
    await signIn(browser, 'ops');
    const refused = await browser.post('/admin/account/mfa/disable', { password: PASSWORD });
    assert.equal(refused.statusCode, 403);
    assert.match(refused.body, /could not be verified/);
    const forged = await browser.post('/admin/logout', { csrf_token: 'forged' });
    assert.equal(forged.statusCode, 403, 'nor can another site log an admin out');
    assert.equal((await browser.get('/admin')).statusCode, 200, 'still signed in');
    const anonymous = await new Browser(t.app).post('/admin/account/mfa/disable', { csrf_token: 'x' });
    assert.equal(anonymous.statusCode, 403, 'a POST without a session is refused, not redirected');
  });

  it('logs out: the session ends on the server, the cookie is cleared, and the old cookie no longer works', async () => {
    const browser = new Browser(t.app);
    await signIn(browser, 'ops');
    const token = browser.cookies.get('gatehouse_admin_session')!;
    const home = await browser.get('/admin');
    const out = await browser.post('/admin/logout', { csrf_token: field(home.body, 'csrf_token') });
    assert.equal(out.statusCode, 303);
    assert.equal(out.headers.location, '/admin/login');
    assert.equal(browser.cookies.has('gatehouse_admin_session'), false);
    const replay = await t.app.inject({ method: 'GET', url: '/admin', headers: { cookie: `gatehouse_admin_session=${token}` } });
    assert.equal(replay.statusCode, 303, 'the old token names no session');
  });

  it('enrols TOTP (confirmed by a first code), then asks for it at sign-in; a replayed code is refused; a recovery code works once', async () => {
    const browser = new Browser(t.app);
    await signIn(browser, 'mfa.ops');
    const mfaPage = await browser.get('/admin/account/mfa');
    assert.equal(mfaPage.statusCode, 200);
    const secretText = /<code id="totp-secret">([A-Z2-7 ]+)<\/code>/.exec(mfaPage.body)?.[1];
    assert.ok(secretText, 'the secret is shown in base32');
    assert.match(mfaPage.body, /href="otpauth:\/\/totp\/[^"]+secret=/);
    const secret = base32Decode(secretText)!;
    const csrf = field(mfaPage.body, 'csrf_token');
    const enrolment = field(mfaPage.body, 'enrolment');

    const wrongCode = await browser.post('/admin/account/mfa/enrol', { csrf_token: csrf, enrolment, code: '000000' === totpCode(secret, Date.now()) ? '111111' : '000000' });
    assert.equal(wrongCode.statusCode, 400);
    assert.equal((await t.gatehouse.storage.adminAccounts.findAdminAccountByUsername('mfa.ops'))?.mfaEnabled, false, 'nothing stored before a right code');

    const confirmed = await browser.post('/admin/account/mfa/enrol', { csrf_token: csrf, enrolment, code: totpCode(secret, Date.now()) });
    assert.equal(confirmed.statusCode, 200, confirmed.body);
    const recoveryCodes = [...confirmed.body.matchAll(/<li><code>([a-z2-7]{5}-[a-z2-7]{5})<\/code><\/li>/g)].map((match) => match[1]!);
    assert.equal(recoveryCodes.length, 10);
    assert.equal(new Set(recoveryCodes).size, 10);
    const stored = await t.gatehouse.storage.adminAccounts.findAdminAccountByUsername('mfa.ops');
    assert.equal(stored?.mfaEnabled, true);
    assert.ok(!stored?.totpSecretSealed?.includes(secretText.replace(/ /g, '')), 'the secret is stored sealed');
    assert.equal((await browser.get('/admin/account/mfa')).body.includes('totp-secret'), false, 'the secret is not shown again');

    // Sign in again: the password leads to the second factor, not to a session.
    const second = new Browser(t.app);
    const afterPassword = await signInWithPassword(second, 'mfa.ops');
    assert.equal(afterPassword.statusCode, 200);
    assert.match(afterPassword.body, /Two-step verification/);
    assert.equal(second.cookies.has('gatehouse_admin_session'), false);
    const wrong = await second.post('/admin/login/second-factor', { csrf_token: field(afterPassword.body, 'csrf_token'), code: '12345x' });
    assert.equal(wrong.statusCode, 401);
    // The enrolment used the current step: the next step's code (within ±1) signs in.
    const code = totpCode(secret, Date.now() + 30_000);
    const ok = await second.post('/admin/login/second-factor', { csrf_token: field(wrong.body, 'csrf_token'), code });
    assert.equal(ok.statusCode, 303, ok.body);
    assert.equal(ok.headers.location, '/admin');
    assert.equal((await second.get('/admin')).statusCode, 200);

    // The same code again, in another browser: refused as replayed.
    const third = new Browser(t.app);
    const again = await signInWithPassword(third, 'mfa.ops');
    const replayed = await third.post('/admin/login/second-factor', { csrf_token: field(again.body, 'csrf_token'), code });
    assert.equal(replayed.statusCode, 401);
    assert.match(replayed.body, /used already/);

    // A recovery code signs in once.
    const recovered = await third.post('/admin/login/second-factor', { csrf_token: field(replayed.body, 'csrf_token'), code: recoveryCodes[0]!.toUpperCase() });
    assert.equal(recovered.statusCode, 303);
    const fourth = new Browser(t.app);
    const once = await signInWithPassword(fourth, 'mfa.ops');
    const reused = await fourth.post('/admin/login/second-factor', { csrf_token: field(once.body, 'csrf_token'), code: recoveryCodes[0]! });
    assert.equal(reused.statusCode, 401);
    assert.equal((await t.gatehouse.storage.adminAccounts.findAdminAccount(stored!.id))?.recoveryCodesLeft, 9);

    const events = await t.gatehouse.audit.list({ action: 'admin.sign_in' });
    assert.ok(events.events.some((event) => event.target === 'mfa.ops' && event.details.factor === 'recovery_code'));

    // Turning it off needs a code or the password.
    const page = await second.get('/admin/account/mfa');
    const csrfToken = field(page.body, 'csrf_token');
    const refused = await second.post('/admin/account/mfa/disable', { csrf_token: csrfToken, password: 'not-my-password-x' });
    assert.equal(refused.statusCode, 400);
    assert.equal((await t.gatehouse.storage.adminAccounts.findAdminAccount(stored!.id))?.mfaEnabled, true);
    // Wrong codes are counted as at the sign-in's second step: a session left open gives no unlimited guesses.
    const statuses: number[] = [];
    for (let attempt = 0; attempt <= t.gatehouse.config.loginMaxFailuresPerUser; attempt++) {
      statuses.push((await second.post('/admin/account/mfa/disable', { csrf_token: csrfToken, code: '000000' })).statusCode);
    }
    // (The counter is shared with the sign-in's second step, where this account already failed twice.)
    assert.ok(statuses.every((status) => status === 400 || status === 429) && statuses.at(-1) === 429, statuses.join(' '));
    assert.equal((await t.gatehouse.storage.adminAccounts.findAdminAccount(stored!.id))?.mfaEnabled, true);
    const off = await second.post('/admin/account/mfa/disable', { csrf_token: csrfToken, password: PASSWORD });
    assert.equal(off.statusCode, 303);
    assert.equal((await t.gatehouse.storage.adminAccounts.findAdminAccount(stored!.id))?.mfaEnabled, false);
    assert.equal((await third.get('/admin')).statusCode, 303, "the account's other sessions ended");
    assert.equal((await second.get('/admin')).statusCode, 200, 'this one stays');
  });

  it('ends an account\'s sessions when its password is reset, its MFA removed, or it is disabled or deleted', async () => {
    await t.gatehouse.admin.accounts.create({ username: 'ended.ops', password: PASSWORD });
    for (const change of [
      () => t.gatehouse.admin.accounts.resetPassword('ended.ops', PASSWORD),
      () => t.gatehouse.admin.accounts.disableMfa('ended.ops'),
      () => t.gatehouse.admin.accounts.disable('ended.ops'),
    ]) {
      await t.gatehouse.admin.accounts.enable('ended.ops');
      const browser = new Browser(t.app);
      await signIn(browser, 'ended.ops');
      assert.equal((await browser.get('/admin')).statusCode, 200);
      await change();
      assert.equal((await browser.get('/admin')).statusCode, 303);
    }
    await t.gatehouse.admin.accounts.enable('ended.ops');
    const browser = new Browser(t.app);
    await signIn(browser, 'ended.ops');
    await t.gatehouse.admin.accounts.delete('ended.ops');
    assert.equal((await browser.get('/admin')).statusCode, 303);
  });

  it('gives the dashboard sections request.admin (principal, account, CSRF token) and refuses their POSTs without the token', async () => {
    // A section registered as the dashboard helper would: inside a scope with the guard.
    const app = Fastify({ logger: false });
    const options = { config: t.config, services: t.gatehouse.services, site: DEFAULT_SITE };
    app.addContentTypeParser(FORM, { parseAs: 'string' }, (_request, body, done) => done(null, body));
    await app.register(async (scope) => {
      scope.addHook('preHandler', adminGuard(options));
      scope.get('/admin/whoami', async (request) => {
        const { principal, accountId, username, csrfToken } = requireAdmin(request);
        return { principal, accountId, username, csrfToken };
      });
      scope.post('/admin/echo', async (request) => ({ value: adminForm(request).get('value') }));
    });
    try {
      const operator = new Browser(t.app);
      await signIn(operator, 'ops');
      const tenantAdmin = new Browser(t.app);
      await signIn(tenantAdmin, 'acme.admin');
      const who = (browser: Browser) => app.inject({ method: 'GET', url: '/admin/whoami', headers: { cookie: browser.header() } });
      const op = (await who(operator)).json() as { principal: unknown; csrfToken: string; username: string };
      assert.deepEqual(op.principal, { kind: 'operator', actor: 'ops' });
      const ta = (await who(tenantAdmin)).json() as { principal: unknown; csrfToken: string };
      assert.deepEqual(ta.principal, { kind: 'tenant', tenant: 'acme', actor: 'acme.admin' });
      assert.equal((await app.inject({ method: 'GET', url: '/admin/whoami' })).statusCode, 303);

      const post = (payload: Record<string, string>) => app.inject({ method: 'POST', url: '/admin/echo', headers: { cookie: operator.header(), 'content-type': FORM }, payload: form(payload) });
      assert.equal((await post({ value: 'x' })).statusCode, 403);
      assert.equal((await post({ value: 'x', csrf_token: ta.csrfToken })).statusCode, 403, "another session's token is refused");
      const accepted = await post({ value: 'x', csrf_token: op.csrfToken });
      assert.equal(accepted.statusCode, 200);
      assert.deepEqual(accepted.json(), { value: 'x' });
    } finally {
      await app.close();
    }
  });
});

describe('admin sign-in (https issuer)', () => {
  let t: TestGatehouse;
  before(async () => {
    t = await createTestGatehouse({ config: { issuer: 'https://auth.example.com' } });
    await t.gatehouse.admin.accounts.create({ username: 'ops', password: PASSWORD });
  });
  after(() => t?.close());

  it('uses __Host- cookies with Secure, Path=/ and no Domain', async () => {
    const browser = new Browser(t.app);
    const page = await browser.get('/admin/login');
    assert.match(String(page.headers['set-cookie']), /^__Host-gatehouse_admin_signin=[^;]+;.*Secure/);
    const response = await browser.post('/admin/login', { csrf_token: field(page.body, 'csrf_token'), username: 'ops', password: PASSWORD });
    assert.equal(response.statusCode, 303);
    const session = ([] as string[]).concat(response.headers['set-cookie'] as string | string[]).find((line) => line.startsWith('__Host-gatehouse_admin_session='));
    assert.ok(session);
    assert.match(session, /; Secure/);
    assert.match(session, /Path=\//);
    assert.match(session, /HttpOnly/);
    assert.doesNotMatch(session, /Domain=/i);
  });
});
