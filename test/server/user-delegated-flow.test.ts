/**
 * The whole user-delegated flow through one Gatehouse (fastify.inject): authorize → login →
 * consent with a tenant choice → code → tokens per tenant → the demo API → refresh →
 * a replayed code revoking everything issued from it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { createTestGatehouse, introspect, postForm, TEST_ISSUER, type TestClient, type TestGatehouse } from '../helpers/gatehouse.js';
import { FORM } from '../helpers/http.js';
import { sleep } from '../helpers/timing.js';
import { basicAuth, jwtPayload, pkceChallenge, pkcePair } from '../helpers/tokens.js';

const PASSWORD = 'a long enough password';
const REDIRECT = 'https://app.example.com/callback';

describe('user-delegated access, end to end', () => {
  let t: TestGatehouse;
  let app: TestClient;
  let resourceServer: TestClient;

  before(async () => {
    t = await createTestGatehouse();
    const { admin } = t.gatehouse;
    await admin.tenants.create({ slug: 'acme', name: 'Acme' });
    await admin.tenants.create({ slug: 'globex', name: 'Globex' });
    // One user per test: consent is remembered per user, client and scopes.
    for (const username of ['alice', 'bob', 'carol']) {
      await admin.users.create({ tenant: 'acme', username, password: PASSWORD });
      await admin.users.addToTenant(username, 'globex');
    }
    await admin.scopes.create({ tenant: 'acme', name: 'documents:read', description: 'Read your documents' });
    const created = await admin.clients.create({
      tenant: 'acme',
      name: 'Signing App',
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: [REDIRECT],
      scope: 'documents:read documents:write',
    });
    app = { clientId: created.client.id, secret: created.secret!, tenant: 'acme' };
    const rs = await admin.clients.create({ tenant: 'acme', name: 'Document API', resourceServer: true });
    resourceServer = { clientId: rs.client.id, secret: rs.secret!, tenant: 'acme' };
  });
  after(() => t.close());

  const cookieOf = (response: LightMyRequestResponse, previous?: string) => {
    const header = response.headers['set-cookie'];
    if (!header) return previous;
    return (Array.isArray(header) ? header[0]! : String(header)).split(';', 1)[0];
  };
  const csrfOf = (body: string) => /name="csrf_token" value="([^"]+)"/.exec(body)?.[1] ?? assert.fail('no CSRF token on the page');
  const submit = (url: string, cookie: string | undefined, fields: [string, string][]) =>
    t.app.inject({ method: 'POST', url, headers: { 'content-type': FORM, ...(cookie ? { cookie } : {}) }, payload: new URLSearchParams(fields).toString() });

  /** Runs the browser part; returns the redirect back to the app. */
  async function authorizeAs(username: string, decision: 'allow' | 'deny', tenants: string[], challenge: string, state: string): Promise<URL> {
    const start = await t.app.inject({
      method: 'GET',
      url: `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT, scope: 'documents:read', state, code_challenge: challenge, code_challenge_method: 'S256' })}`,
    });
    assert.equal(start.statusCode, 200, start.body);
    let cookie = cookieOf(start);
    const login = await submit('/oauth/authorize/login', cookie, [['csrf_token', csrfOf(start.body)], ['username', username], ['password', PASSWORD]]);
    cookie = cookieOf(login, cookie);
    let consentPage = login;
    if (login.statusCode === 303 || login.statusCode === 302) {
      consentPage = await t.app.inject({ method: 'GET', url: String(login.headers.location), headers: { cookie: cookie! } });
      cookie = cookieOf(consentPage, cookie);
    }
    assert.equal(consentPage.statusCode, 200, consentPage.body.slice(0, 300));
    assert.match(consentPage.body, /Signing App/);
    assert.match(consentPage.body, /Read your documents/);
    assert.match(consentPage.body, /value="globex"/, 'a tenant picker: the user belongs to two tenants');
    const decided = await submit('/oauth/authorize/consent', cookie, [
      ['csrf_token', csrfOf(consentPage.body)],
      ...tenants.map((tenant): [string, string] => ['tenant', tenant]),
      ['decision', decision],
    ]);
    assert.equal(decided.statusCode, 302, decided.body.slice(0, 300));
    return new URL(String(decided.headers.location));
  }

  const api = (token: string, path: string, tenant?: string) =>
    t.app.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${token}`, ...(tenant ? { 'x-tenant': tenant } : {}) } });

  it('login, consent for two tenants, code, per-tenant tokens, refresh, and code replay', async () => {
    const { verifier, challenge } = pkcePair();
    const back = await authorizeAs('alice', 'allow', ['acme', 'globex'], challenge, 'state-1');
    assert.equal(back.origin + back.pathname, REDIRECT);
    assert.equal(back.searchParams.get('state'), 'state-1');
    assert.equal(back.searchParams.get('iss'), TEST_ISSUER, 'RFC 9207');
    const code = back.searchParams.get('code')!;
    assert.ok(code);

    const exchange = (extra: Record<string, string>) =>
      postForm(t.app, '/oauth/token', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, ...extra }, { authorization: basicAuth(app.clientId, app.secret) });
    const first = await exchange({ tenant: 'acme' });
    assert.equal(first.statusCode, 200, first.body);
    const tokens = first.json();
    assert.ok(tokens.refresh_token.startsWith('gatehouse_rt_'));
    assert.equal(jwtPayload(tokens.access_token).tenant, 'acme');

    // The demo API honours the tenant of the token.
    assert.equal((await api(tokens.access_token, '/api/files', 'acme')).statusCode, 200);
    assert.equal((await api(tokens.access_token, '/api/files', 'globex')).statusCode, 403);

    // One refresh token, access tokens per granted tenant.
    const toGlobex = await postForm(t.app, '/oauth/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, tenant: 'globex' }, { authorization: basicAuth(app.clientId, app.secret) });
    assert.equal(toGlobex.statusCode, 200, toGlobex.body);
    const globex = toGlobex.json();
    assert.equal(jwtPayload(globex.access_token).tenant, 'globex');
    assert.equal((await api(globex.access_token, '/api/files', 'globex')).statusCode, 200);

    // Without a tenant: a tenant-free token that can only list the granted tenants.
    const free = await postForm(t.app, '/oauth/token', { grant_type: 'refresh_token', refresh_token: globex.refresh_token }, { authorization: basicAuth(app.clientId, app.secret) });
    assert.equal(free.statusCode, 200, free.body);
    const freeTokens = free.json();
    assert.equal(jwtPayload(freeTokens.access_token).tenant, undefined);
    const listed = await api(freeTokens.access_token, '/api/tenants');
    assert.deepEqual(listed.json(), { tenants: [{ slug: 'acme', name: 'Acme' }, { slug: 'globex', name: 'Globex' }] });
    assert.equal((await api(freeTokens.access_token, '/api/files', 'acme')).statusCode, 403, 'a tenant-free token reaches tenant-free routes only');

    // The rotated refresh token is spent: reusing it revokes the whole family.
    const reuse = await postForm(t.app, '/oauth/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, { authorization: basicAuth(app.clientId, app.secret) });
    assert.equal(reuse.statusCode, 400);
    assert.equal(reuse.json().error, 'invalid_grant');
    assert.deepEqual(await introspect(t.app, resourceServer, freeTokens.access_token), { active: false });
    const deadline = Date.now() + 2000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) {
      status = (await api(globex.access_token, '/api/files', 'globex')).statusCode;
      if (status === 200) await sleep(50);
    }
    assert.equal(status, 401, "the family's access tokens are refused by the API within the feed's interval");
    const afterRevocation = await postForm(t.app, '/oauth/token', { grant_type: 'refresh_token', refresh_token: freeTokens.refresh_token }, { authorization: basicAuth(app.clientId, app.secret) });
    assert.equal(afterRevocation.json().error, 'invalid_grant', 'the newest refresh token of the family is dead too');

    // Replaying the code fails.
    const replay = await exchange({});
    assert.equal(replay.statusCode, 400);
    assert.equal(replay.json().error, 'invalid_grant');
  });

  it('a replayed code revokes the tokens issued from it', async () => {
    const { verifier, challenge } = pkcePair();
    const back = await authorizeAs('bob', 'allow', ['acme'], challenge, 'state-2');
    const code = back.searchParams.get('code')!;
    const request = () =>
      postForm(t.app, '/oauth/token', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, tenant: 'acme' }, { authorization: basicAuth(app.clientId, app.secret) });
    const first = (await request()).json();
    assert.equal((await introspect(t.app, resourceServer, first.access_token)).active, true);
    assert.equal((await request()).json().error, 'invalid_grant');
    assert.deepEqual(await introspect(t.app, resourceServer, first.access_token), { active: false });
    const refreshed = await postForm(t.app, '/oauth/token', { grant_type: 'refresh_token', refresh_token: first.refresh_token }, { authorization: basicAuth(app.clientId, app.secret) });
    assert.equal(refreshed.json().error, 'invalid_grant');
  });

  it('remembers the consent: the same user, client and scopes skip the consent page', async () => {
    const start = await t.app.inject({
      method: 'GET',
      url: `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT, scope: 'documents:read', state: 's', code_challenge: pkceChallenge('y'.repeat(43)), code_challenge_method: 'S256' })}`,
    });
    const login = await submit('/oauth/authorize/login', cookieOf(start), [['csrf_token', csrfOf(start.body)], ['username', 'bob'], ['password', PASSWORD]]);
    assert.equal(login.statusCode, 302);
    const back = new URL(String(login.headers.location));
    assert.equal(back.origin + back.pathname, REDIRECT);
    assert.ok(back.searchParams.get('code'));
  });

  it('disabling a user revokes the grants of every application at once', async () => {
    await t.gatehouse.admin.users.create({ tenant: 'acme', username: 'dave', password: PASSWORD });
    await t.gatehouse.admin.users.addToTenant('dave', 'globex');
    const { verifier, challenge } = pkcePair();
    const back = await authorizeAs('dave', 'allow', ['acme'], challenge, 'state-4');
    const tokens = (
      await postForm(t.app, '/oauth/token', { grant_type: 'authorization_code', code: back.searchParams.get('code')!, redirect_uri: REDIRECT, code_verifier: verifier, tenant: 'acme' }, { authorization: basicAuth(app.clientId, app.secret) })
    ).json();
    assert.equal((await introspect(t.app, resourceServer, tokens.access_token)).active, true);
    await t.gatehouse.admin.users.disable('dave');
    assert.deepEqual(await introspect(t.app, resourceServer, tokens.access_token), { active: false });
    const refreshed = await postForm(t.app, '/oauth/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, { authorization: basicAuth(app.clientId, app.secret) });
    assert.equal(refreshed.json().error, 'invalid_grant');
  });

  it('revoking a grant (grant revoke) stops its tokens and forgets the consent: the consent page comes back', async () => {
    await t.gatehouse.admin.users.create({ tenant: 'acme', username: 'erin', password: PASSWORD });
    await t.gatehouse.admin.users.addToTenant('erin', 'globex');
    const { verifier, challenge } = pkcePair();
    const back = await authorizeAs('erin', 'allow', ['acme'], challenge, 'state-5');
    const tokens = (
      await postForm(t.app, '/oauth/token', { grant_type: 'authorization_code', code: back.searchParams.get('code')!, redirect_uri: REDIRECT, code_verifier: verifier, tenant: 'acme' }, { authorization: basicAuth(app.clientId, app.secret) })
    ).json();
    assert.equal((await introspect(t.app, resourceServer, tokens.access_token)).active, true);
    const startAgain = () =>
      t.app.inject({
        method: 'GET',
        url: `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT, scope: 'documents:read', state: 's', code_challenge: pkceChallenge('z'.repeat(43)), code_challenge_method: 'S256' })}`,
      });
    const start = await startAgain();
    const remembered = await submit('/oauth/authorize/login', cookieOf(start), [['csrf_token', csrfOf(start.body)], ['username', 'erin'], ['password', PASSWORD]]);
    assert.equal(new URL(String(remembered.headers.location)).origin + new URL(String(remembered.headers.location)).pathname, REDIRECT, 'the consent is remembered before the revocation');

    const grants = await t.gatehouse.admin.grants.listOfUser('erin');
    assert.equal(grants.length, 1, 'one grant per code exchanged (the second code was not)');
    const exchanged = grants.find((view) => view.grant.id === jwtPayload(tokens.access_token).grant_id) ?? assert.fail('the grant of the tokens is listed');
    const revoked = await t.gatehouse.admin.grants.revoke(exchanged.grant.id);
    assert.equal(revoked.revoked, true);
    assert.equal(revoked.consentForgotten, true);

    assert.deepEqual(await introspect(t.app, resourceServer, tokens.access_token), { active: false });
    const refreshed = await postForm(t.app, '/oauth/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, { authorization: basicAuth(app.clientId, app.secret) });
    assert.equal(refreshed.statusCode, 400);
    assert.equal(refreshed.json().error, 'invalid_grant');
    // authorizeAs asserts that the consent page is shown again.
    await authorizeAs('erin', 'allow', ['acme'], challenge, 'state-6');
  });

  it("removing a user from a tenant (user remove-tenant) revokes the grants that include it", async () => {
    await t.gatehouse.admin.users.create({ tenant: 'acme', username: 'frank', password: PASSWORD });
    await t.gatehouse.admin.users.addToTenant('frank', 'globex');
    const { verifier, challenge } = pkcePair();
    const back = await authorizeAs('frank', 'allow', ['acme', 'globex'], challenge, 'state-7');
    const tokens = (
      await postForm(t.app, '/oauth/token', { grant_type: 'authorization_code', code: back.searchParams.get('code')!, redirect_uri: REDIRECT, code_verifier: verifier, tenant: 'acme' }, { authorization: basicAuth(app.clientId, app.secret) })
    ).json();
    assert.equal((await introspect(t.app, resourceServer, tokens.access_token)).active, true);
    const removed = await t.gatehouse.admin.users.removeFromTenant('frank', 'globex');
    assert.equal(removed.revokedGrants, 1);
    assert.deepEqual(await introspect(t.app, resourceServer, tokens.access_token), { active: false });
    const refreshed = await postForm(t.app, '/oauth/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, { authorization: basicAuth(app.clientId, app.secret) });
    assert.equal(refreshed.json().error, 'invalid_grant');
  });

  it('a user who denies sends the app back with access_denied, state and iss', async () => {
    const back = await authorizeAs('carol', 'deny', [], pkceChallenge('x'.repeat(43)), 'state-3');
    assert.equal(back.searchParams.get('error'), 'access_denied');
    assert.equal(back.searchParams.get('state'), 'state-3');
    assert.equal(back.searchParams.get('iss'), TEST_ISSUER);
    assert.equal(back.searchParams.get('code'), null);
  });
});
