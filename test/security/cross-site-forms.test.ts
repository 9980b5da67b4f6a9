/**
 * Issue 16 (Low): login, consent, account and dashboard forms sent from another site are
 * refused (403) even with a valid cookie and CSRF token: defence in depth besides the
 * SameSite cookies. Same-origin, `Sec-Fetch-Site: none`, `Origin: null` (what our
 * no-referrer pages make a browser send) and no Origin at all (older clients) pass.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { CookieBrowser, csrfOf } from '../helpers/cookie-browser.js';
import { createClient, createTestGatehouse, TEST_ISSUER, type TestClient, type TestGatehouse } from '../helpers/gatehouse.js';
import { pkcePair } from '../helpers/tokens.js';
import { REDIRECT_URI } from '../helpers/user-delegation.js';

const PASSWORD = 'correct horse battery';
const CROSS_SITE: Record<string, Record<string, string>> = {
  'a foreign Origin': { origin: 'https://evil.example' },
  'Sec-Fetch-Site: cross-site': { 'sec-fetch-site': 'cross-site' },
  'Sec-Fetch-Site: same-site': { 'sec-fetch-site': 'same-site' },
  'the issuer host on another scheme': { origin: 'https://127.0.0.1:8080' },
};
const SAME_SITE: Record<string, Record<string, string>> = {
  'the issuer origin': { origin: TEST_ISSUER, 'sec-fetch-site': 'same-origin' },
  'Sec-Fetch-Site: none': { 'sec-fetch-site': 'none' },
  'Origin: null': { origin: 'null', 'sec-fetch-site': 'same-origin' },
  'no Origin at all': {},
};

const assertRefused = (response: LightMyRequestResponse) => {
  assert.equal(response.statusCode, 403, response.body.slice(0, 300));
  assert.equal(response.headers.location, undefined);
  assert.equal(response.headers['set-cookie'], undefined, 'no session started or changed');
};

describe('forms sent from another site are refused', () => {
  let t: TestGatehouse;
  let app: TestClient;
  let counter = 0;

  before(async () => {
    t = await createTestGatehouse();
    app = await createClient(t.gatehouse, { tenant: 'acme', grantTypes: ['authorization_code'], redirectUris: [REDIRECT_URI] });
  });
  after(() => t.close());

  const newUser = async () => {
    const username = `user${++counter}`;
    await t.gatehouse.admin.users.create({ tenant: 'acme', username, password: PASSWORD });
    return username;
  };

  /** Opens the authorization request's login page in a fresh browser. */
  const startAuthorization = async () => {
    const browser = new CookieBrowser(t.app);
    const { challenge } = pkcePair();
    const query = { response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT_URI, scope: 'documents:read', prompt: 'consent', code_challenge: challenge, code_challenge_method: 'S256' };
    const start = await browser.get(`/oauth/authorize?${new URLSearchParams(query)}`);
    assert.equal(start.statusCode, 200, start.body.slice(0, 300));
    return { browser, page: start };
  };

  /** Signs in through the login page (same-origin) and returns the consent page. */
  const toConsent = async () => {
    const username = await newUser();
    const { browser, page } = await startAuthorization();
    let response = await browser.post('/oauth/authorize/login', { csrf_token: csrfOf(page.body), username, password: PASSWORD });
    if (response.statusCode === 302 || response.statusCode === 303) response = await browser.get(String(response.headers.location));
    assert.equal(response.statusCode, 200, response.body.slice(0, 300));
    return { browser, consent: response };
  };

  for (const [what, headers] of Object.entries(CROSS_SITE)) {
    it(`login with ${what}: 403, then the same form from the page signs in`, async () => {
      const username = await newUser();
      const { browser, page } = await startAuthorization();
      const fields = { csrf_token: csrfOf(page.body), username, password: PASSWORD };
      assertRefused(await browser.post('/oauth/authorize/login', fields, headers));
      const response = await browser.post('/oauth/authorize/login', fields, { origin: TEST_ISSUER });
      assert.notEqual(response.statusCode, 403);
      assert.doesNotMatch(response.body, /another site/);
    });

    it(`consent with ${what}: 403 and no code, then the same form approves`, async () => {
      const { browser, consent } = await toConsent();
      const fields = { csrf_token: csrfOf(consent.body), decision: 'allow' };
      assertRefused(await browser.post('/oauth/authorize/consent', fields, headers));
      const approved = await browser.post('/oauth/authorize/consent', fields);
      assert.equal(approved.statusCode, 302, approved.body.slice(0, 300));
      assert.ok(new URL(String(approved.headers.location)).searchParams.get('code'));
    });

    it(`account sign-in and dashboard sign-in with ${what}: 403`, async () => {
      const username = await newUser();
      const browser = new CookieBrowser(t.app);
      const form = await browser.get('/account');
      assertRefused(await browser.post('/account/login', { csrf_token: csrfOf(form.body), username, password: PASSWORD }, headers));
      const signedIn = await browser.post('/account/login', { csrf_token: csrfOf(form.body), username, password: PASSWORD });
      assert.equal(signedIn.statusCode, 303, signedIn.body.slice(0, 300));
      assertRefused(await browser.post('/account/logout', { csrf_token: csrfOf((await browser.get('/account')).body) }, headers));

      const admin = new CookieBrowser(t.app);
      const adminForm = await admin.get('/admin/login');
      assertRefused(await admin.post('/admin/login', { csrf_token: csrfOf(adminForm.body), username: 'nobody', password: PASSWORD }, headers));
    });
  }

  for (const [what, headers] of Object.entries(SAME_SITE)) {
    it(`login and consent with ${what} pass`, async () => {
      const username = await newUser();
      const { browser, page } = await startAuthorization();
      let response = await browser.post('/oauth/authorize/login', { csrf_token: csrfOf(page.body), username, password: PASSWORD }, headers);
      if (response.statusCode === 302 || response.statusCode === 303) response = await browser.get(String(response.headers.location));
      assert.equal(response.statusCode, 200, response.body.slice(0, 300));
      const approved = await browser.post('/oauth/authorize/consent', { csrf_token: csrfOf(response.body), decision: 'allow' }, headers);
      assert.equal(approved.statusCode, 302, approved.body.slice(0, 300));
    });
  }
});
