/**
 * One approval, one code (issue 16): the sealed authorization session can be resent for
 * its lifetime, but a resent consent (or login) form yields no second code or token.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { authorizeThroughPages } from '../helpers/authorize-pages.js';
import { createClient, createTestGatehouse, type TestClient, type TestGatehouse } from '../helpers/gatehouse.js';
import { FORM } from '../helpers/http.js';
import { pkcePair } from '../helpers/tokens.js';
import { exchangeCode, REDIRECT_URI } from '../helpers/user-delegation.js';

const PASSWORD = 'correct horse battery';

describe('a resent authorization form approves nothing more', () => {
  let t: TestGatehouse;
  let app: TestClient;
  let implicitClient: string;

  before(async () => {
    t = await createTestGatehouse();
    app = await createClient(t.gatehouse, { tenant: 'acme', grantTypes: ['authorization_code'], redirectUris: [REDIRECT_URI] });
    implicitClient = (await t.gatehouse.admin.clients.create({ tenant: 'acme', name: 'Legacy SPA', isPublic: true, grantTypes: ['implicit'], redirectUris: [REDIRECT_URI], scope: 'documents:read' })).client.id;
    await t.gatehouse.admin.users.create({ tenant: 'acme', username: 'alice', password: PASSWORD });
  });
  after(() => t.close());

  const assertRefusedPage = (response: LightMyRequestResponse) => {
    assert.equal(response.statusCode, 400, response.body.slice(0, 300));
    assert.equal(response.headers.location, undefined, 'no redirect: no second code or token');
    assert.match(response.body, /already answered/i);
  };

  it('resending the consent POST yields no second code, and the first code still works', async () => {
    const { verifier, challenge } = pkcePair();
    const query = { client_id: app.clientId, redirect_uri: REDIRECT_URI, scope: 'documents:read', code_challenge: challenge, code_challenge_method: 'S256' };
    const flow = await authorizeThroughPages(t.app, { query, username: 'alice', password: PASSWORD });
    const code = flow.location.searchParams.get('code');
    assert.ok(code);
    for (let i = 0; i < 3; i++) assertRefusedPage(await flow.resendConsent());
    const exchanged = await exchangeCode(t.app, app, code, { code_verifier: verifier });
    assert.equal(exchanged.statusCode, 200, exchanged.body);
  });

  it('the same for the implicit response: one approval, one access token', async () => {
    const query = { response_type: 'token', client_id: implicitClient, redirect_uri: REDIRECT_URI, scope: 'documents:read' };
    const flow = await authorizeThroughPages(t.app, { query, username: 'alice', password: PASSWORD });
    assert.match(flow.location.hash, /access_token=/);
    assertRefusedPage(await flow.resendConsent());
  });

  it('resending a login POST that a remembered consent answers at once yields no second code', async () => {
    const { challenge } = pkcePair();
    const query = { response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT_URI, scope: 'documents:read', code_challenge: challenge, code_challenge_method: 'S256' };
    const start = await t.app.inject({ method: 'GET', url: `/oauth/authorize?${new URLSearchParams(query)}` });
    assert.equal(start.statusCode, 200, start.body.slice(0, 300));
    const cookie = String(start.headers['set-cookie']).split(';', 1)[0]!;
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(start.body)?.[1] ?? assert.fail('no CSRF token');
    const login = () =>
      t.app.inject({ method: 'POST', url: '/oauth/authorize/login', headers: { 'content-type': FORM, cookie }, payload: new URLSearchParams({ csrf_token: csrf, username: 'alice', password: PASSWORD }).toString() });
    const first = await login();
    assert.equal(first.statusCode, 302, first.body.slice(0, 300));
    assert.ok(new URL(String(first.headers.location)).searchParams.get('code'), 'the remembered consent answers at once');
    assertRefusedPage(await login());
  });
});
