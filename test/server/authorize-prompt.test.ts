/**
 * The `prompt` parameter of the authorization request (OpenID Connect Core 1.0 §3.1.2.1)
 * over HTTP, through fastify.inject. The rules themselves are in test/core/authorize-flow.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { createClient, createTestGatehouse, TEST_ISSUER, type TestClient, type TestGatehouse } from '../helpers/gatehouse.js';
import { FORM } from '../helpers/http.js';
import { pkceChallenge } from '../helpers/tokens.js';
import { REDIRECT_URI } from '../helpers/user-delegation.js';

const PASSWORD = 'correct horse battery';
const CHALLENGE = pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk');

let t: TestGatehouse;
let client: TestClient;

before(async () => {
  t = await createTestGatehouse();
  client = await createClient(t.gatehouse, { tenant: 'acme', name: 'Prompting App', grantTypes: ['authorization_code'], redirectUris: [REDIRECT_URI] });
  await t.gatehouse.admin.tenants.create({ slug: 'globex', accessTokenTtl: null });
  await t.gatehouse.admin.users.create({ tenant: 'acme', username: 'paula', password: PASSWORD });
  await t.gatehouse.admin.users.addToTenant('paula', 'globex');
});
after(() => t.close());

function authorize(extra: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  const params = { response_type: 'code', client_id: client.clientId, redirect_uri: REDIRECT_URI, scope: 'documents:read', state: 'st', code_challenge: CHALLENGE, code_challenge_method: 'S256', ...extra };
  return t.app.inject({ method: 'GET', url: `/oauth/authorize?${new URLSearchParams(params).toString()}` });
}

function location(response: LightMyRequestResponse): URL {
  assert.equal(response.statusCode, 302, response.body.slice(0, 300));
  return new URL(String(response.headers.location));
}

const cookieOf = (response: LightMyRequestResponse) => String(response.headers['set-cookie']).split(';', 1)[0]!;
const csrfOf = (body: string) => /name="csrf_token" value="([^"]+)"/.exec(body)?.[1] ?? assert.fail('no CSRF token');
const post = (url: string, cookie: string, fields: [string, string][]) =>
  t.app.inject({ method: 'POST', url, headers: { 'content-type': FORM, cookie }, payload: new URLSearchParams(fields).toString() });

/** Through the login page as paula: the response to the login and the session cookie. */
async function signIn(extra: Record<string, string> = {}) {
  const start = await authorize(extra);
  assert.equal(start.statusCode, 200, start.body.slice(0, 300));
  const response = await post('/oauth/authorize/login', cookieOf(start), [['csrf_token', csrfOf(start.body)], ['username', 'paula'], ['password', PASSWORD]]);
  return { response, cookie: response.headers['set-cookie'] ? cookieOf(response) : cookieOf(start) };
}

describe('prompt (OpenID Connect Core 1.0 §3.1.2.1)', () => {
  it('prompt=none redirects login_required with state and iss, and starts no session', async () => {
    const response = await authorize({ prompt: 'none' });
    const url = location(response);
    assert.equal(`${url.origin}${url.pathname}`, REDIRECT_URI);
    assert.equal(url.searchParams.get('error'), 'login_required');
    assert.equal(url.searchParams.get('state'), 'st');
    assert.equal(url.searchParams.get('iss'), TEST_ISSUER);
    assert.match(String(response.headers['set-cookie']), /Max-Age=0/, 'no session is left behind');
  });

  it('redirects an unknown value or none with another as invalid_request, with state and iss', async () => {
    for (const prompt of ['create', 'none consent']) {
      const url = location(await authorize({ prompt }));
      assert.equal(url.searchParams.get('error'), 'invalid_request', prompt);
      assert.equal(url.searchParams.get('state'), 'st');
      assert.equal(url.searchParams.get('iss'), TEST_ISSUER);
    }
  });

  it('prompt=login and select_account show the login page', async () => {
    for (const prompt of ['login', 'select_account']) {
      const response = await authorize({ prompt });
      assert.equal(response.statusCode, 200, prompt);
      assert.match(response.body, /name="password"/);
    }
  });

  it('prompt=consent shows the consent page over a remembered consent, the granted tenant pre-checked', async () => {
    const first = await signIn();
    location(await post('/oauth/authorize/consent', first.cookie, [['csrf_token', csrfOf(first.response.body)], ['decision', 'allow'], ['tenant', 'globex']]));
    location((await signIn()).response); // remembered: no page
    const again = await signIn({ prompt: 'consent' });
    assert.equal(again.response.statusCode, 200, 'the consent page');
    assert.match(again.response.body, /<input type="checkbox"[^>]*value="globex" checked>/);
    assert.doesNotMatch(again.response.body, /value="acme" checked/);
  });

  it('adds nothing about prompt to the metadata (RFC 8414 defines no such field)', async () => {
    const metadata = (await t.app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' })).json() as Record<string, unknown>;
    assert.deepEqual(Object.keys(metadata).filter((name) => /prompt/.test(name)), []);
  });
});
