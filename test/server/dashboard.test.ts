/**
 * The dashboard's content pages (issue 14) through fastify.inject and the real sign-in
 * (/admin/login, the admin session cookie): an operator creates a tenant and a client,
 * the secret shown once works at /oauth/token, a rotation without grace stops it at once;
 * a tenant admin reaches its own tenant only; a POST without the CSRF token changes
 * nothing; every page carries the page security headers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { signInToDashboard, type DashboardAdmin } from '../helpers/dashboard.js';
import { createTestGatehouse, postForm, type TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth } from '../helpers/tokens.js';

const PASSWORD = 'dashboard-password-1';

type Admin = DashboardAdmin;
/** Signs in through the real login page. */
const signIn = (t: TestGatehouse, username: string, password = PASSWORD): Promise<Admin> => signInToDashboard(t, username, password);

function get(t: TestGatehouse, admin: Admin, url: string): Promise<LightMyRequestResponse> {
  return t.app.inject({ method: 'GET', url, headers: { cookie: admin.cookie } });
}

/** POSTs a dashboard form with the admin's CSRF token (unless `csrf: false`). */
function post(t: TestGatehouse, admin: Admin, url: string, fields: [string, string][] | Record<string, string>, { csrf = true } = {}): Promise<LightMyRequestResponse> {
  const body = new URLSearchParams(Array.isArray(fields) ? fields : Object.entries(fields));
  if (csrf) body.set('csrf_token', admin.csrf);
  return postForm(t.app, url, body.toString(), { cookie: admin.cookie });
}

function assertPage(response: LightMyRequestResponse, status = 200): void {
  assert.equal(response.statusCode, status, response.body);
  assert.equal(response.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(response.headers['cache-control'], 'no-store');
  const csp = response.headers['content-security-policy'] as string;
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  assert.equal(response.headers['x-frame-options'], 'DENY');
}

const secretsOf = (html: string) => ({
  clientId: /id="client-id" readonly value="([^"]+)"/.exec(html)?.[1] ?? '',
  secret: /id="client-secret" readonly value="([^"]+)"/.exec(html)?.[1] ?? '',
});

const token = (t: TestGatehouse, clientId: string, secret: string) => postForm(t.app, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basicAuth(clientId, secret) });

describe('dashboard pages through the real sign-in', () => {
  let t: TestGatehouse;
  let operator: Admin;
  let acmeAdmin: Admin;

  before(async () => {
    t = await createTestGatehouse();
    await t.gatehouse.admin.accounts.create({ tenant: null, username: 'olivia', password: PASSWORD });
    operator = await signIn(t, 'olivia');
  });
  after(() => t.close());

  it('a page without a session sends the browser to the sign-in page', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/admin/tenants' });
    assert.ok([302, 303].includes(response.statusCode), `${response.statusCode}`);
    assert.match(String(response.headers.location), /^\/admin\/login/);
  });

  it('an operator creates a tenant, a scope and a client; the secret shown once works at /oauth/token', async () => {
    const created = await post(t, operator, '/admin/tenants', { slug: 'acme', name: 'Acme Corp' });
    assert.equal(created.statusCode, 303, created.body);
    assert.equal(created.headers.location, '/admin/tenants/acme?done=tenant-created');
    const tenantPage = await get(t, operator, '/admin/tenants/acme?done=tenant-created');
    assertPage(tenantPage);
    assert.match(tenantPage.body, /The tenant was created\./);

    assert.equal((await post(t, operator, '/admin/tenants/acme/scopes', { name: 'documents:read', description: 'Read your documents' })).statusCode, 303);
    const form = await get(t, operator, '/admin/tenants/acme/clients/new');
    assertPage(form);
    assert.match(form.body, /<label for="client-name">Name<\/label>/);
    assert.match(form.body, /Read your documents/);

    const shown = await post(t, operator, '/admin/tenants/acme/clients/new', [
      ['name', 'Billing sync'],
      ['client_type', 'confidential'],
      ['scope', 'documents:read'],
      ['grant_type', 'client_credentials'],
      ['access_token_ttl', '15m'],
    ]);
    assertPage(shown);
    assert.match(shown.headers['content-security-policy'] as string, /script-src 'self'/);
    assert.match(shown.body, /it will not be shown again/);
    const { clientId, secret } = secretsOf(shown.body);
    const issued = await token(t, clientId, secret);
    assert.equal(issued.statusCode, 200, issued.body);
    assert.equal(issued.json().scope, 'documents:read');
    assert.equal(issued.json().expires_in, 900);

    // Shown once: the client page never carries it again.
    const clientPage = await get(t, operator, `/admin/tenants/acme/clients/${clientId}`);
    assertPage(clientPage);
    assert.ok(!clientPage.body.includes(secret));
    assert.ok(!(await get(t, operator, '/admin/tenants/acme/clients')).body.includes(secret));
  });

  it('rotating without grace stops the old secret at once; with grace both work', async () => {
    const shown = await post(t, operator, '/admin/tenants/acme/clients/new', [['name', 'Rotated'], ['grant_type', 'client_credentials']]);
    const { clientId, secret } = secretsOf(shown.body);
    assert.equal((await token(t, clientId, secret)).statusCode, 200);

    const graced = await post(t, operator, `/admin/tenants/acme/clients/${clientId}/rotate-secret`, { grace: '3600' });
    assertPage(graced);
    assert.match(graced.body, /The old secret keeps working until/);
    const second = secretsOf(graced.body).secret;
    assert.equal((await token(t, clientId, secret)).statusCode, 200, 'the old secret works during the grace period');
    assert.equal((await token(t, clientId, second)).statusCode, 200);

    const now = await post(t, operator, `/admin/tenants/acme/clients/${clientId}/rotate-secret`, { grace: '0' });
    assertPage(now);
    assert.match(now.body, /The old secret no longer works/);
    const third = secretsOf(now.body).secret;
    assert.equal((await token(t, clientId, second)).statusCode, 401, 'the old secret is refused at once');
    assert.equal((await token(t, clientId, third)).statusCode, 200);

    // A grace period the form does not offer is refused.
    assert.equal((await post(t, operator, `/admin/tenants/acme/clients/${clientId}/rotate-secret`, { grace: '99999999' })).statusCode, 400);
  });

  it('edits, disables, enables and deletes (after a confirmation page) a client', async () => {
    const { clientId, secret } = secretsOf((await post(t, operator, '/admin/tenants/acme/clients/new', [['name', 'Short-lived'], ['grant_type', 'client_credentials']])).body);
    const refused = await post(t, operator, `/admin/tenants/acme/clients/${clientId}`, [['name', 'Renamed'], ['grant_type', 'client_credentials'], ['redirect_uris', 'not a uri']]);
    assertPage(refused, 400);
    assert.match(refused.body, /role="alert">invalid redirect URI/);
    assert.match(refused.body, /value="Renamed"/, 'what was typed is kept');

    const saved = await post(t, operator, `/admin/tenants/acme/clients/${clientId}`, [['name', 'Renamed'], ['grant_type', 'client_credentials'], ['scope', 'documents:read']]);
    assert.equal(saved.statusCode, 303, saved.body);
    assert.match((await get(t, operator, `/admin/tenants/acme/clients/${clientId}?done=client-updated`)).body, /<h1>Renamed<\/h1>/);

    assert.equal((await post(t, operator, `/admin/tenants/acme/clients/${clientId}/disable`, {})).statusCode, 303);
    assert.equal((await token(t, clientId, secret)).statusCode, 401, 'a disabled client gets no token');
    assert.equal((await post(t, operator, `/admin/tenants/acme/clients/${clientId}/enable`, {})).statusCode, 303);
    assert.equal((await token(t, clientId, secret)).statusCode, 200);

    const confirm = await get(t, operator, `/admin/tenants/acme/clients/${clientId}/delete`);
    assertPage(confirm);
    assert.match(confirm.body, /cannot be undone/);
    const deleted = await post(t, operator, `/admin/tenants/acme/clients/${clientId}/delete`, {});
    assert.equal(deleted.statusCode, 303);
    assert.equal(deleted.headers.location, '/admin/tenants/acme/clients?done=client-deleted');
    assert.equal((await token(t, clientId, secret)).statusCode, 401);
    assertPage(await get(t, operator, `/admin/tenants/acme/clients/${clientId}`), 404);
  });

  it('a POST without the CSRF token (or with another session\'s) changes nothing', async () => {
    const missing = await post(t, operator, '/admin/tenants', { slug: 'no-csrf' }, { csrf: false });
    assertPage(missing, 403);
    const wrong = await postForm(t.app, '/admin/tenants', new URLSearchParams({ slug: 'no-csrf', csrf_token: 'x'.repeat(43) }).toString(), { cookie: operator.cookie });
    assertPage(wrong, 403);
    const list = await get(t, operator, '/admin/tenants?q=no-csrf');
    assert.doesNotMatch(list.body, /<code>no-csrf<\/code>/);
  });

  it('a tenant admin of acme reaches acme only: another tenant answers 404, deployment-wide pages 403', async () => {
    assert.equal((await post(t, operator, '/admin/tenants', { slug: 'globex', name: 'Globex' })).statusCode, 303);
    const globex = secretsOf((await post(t, operator, '/admin/tenants/globex/clients/new', [['name', 'Globex app'], ['grant_type', 'client_credentials']])).body);
    await t.gatehouse.admin.accounts.create({ tenant: 'acme', username: 'tom', password: PASSWORD });
    acmeAdmin = await signIn(t, 'tom');

    const list = await get(t, acmeAdmin, '/admin/tenants');
    assert.equal(list.statusCode, 303, 'a tenant admin is sent to its own tenant');
    assert.equal(list.headers.location, '/admin/tenants/acme');
    assertPage(await get(t, acmeAdmin, '/admin/tenants/acme/clients'));

    for (const url of ['/admin/tenants/globex', '/admin/tenants/globex/clients', '/admin/tenants/globex/clients/new', `/admin/tenants/globex/clients/${globex.clientId}`, '/admin/tenants/globex/scopes', '/admin/tenants/globex/users']) {
      assertPage(await get(t, acmeAdmin, url), 404);
    }
    // Another tenant's client through its own tenant's path: 404 too (client ids are global).
    assertPage(await get(t, acmeAdmin, `/admin/tenants/acme/clients/${globex.clientId}`), 404);
    assertPage(await post(t, acmeAdmin, `/admin/tenants/acme/clients/${globex.clientId}/rotate-secret`, { grace: '0' }), 404);
    assertPage(await post(t, acmeAdmin, `/admin/tenants/globex/clients/${globex.clientId}/disable`, {}), 404);
    assert.equal((await token(t, globex.clientId, globex.secret)).statusCode, 200, 'the other tenant\'s client is untouched');

    assertPage(await get(t, acmeAdmin, '/admin/keys'), 403);
    assertPage(await post(t, acmeAdmin, '/admin/tenants', { slug: 'sneaky' }), 403);
    assertPage(await post(t, acmeAdmin, '/admin/tenants/acme/disable', {}), 403);

    // Its audit log is its tenant's, whatever the query asks.
    const audit = await get(t, acmeAdmin, '/admin/audit?tenant=globex');
    assertPage(audit);
    assert.doesNotMatch(audit.body, /Globex app|>globex</);

    // And it creates its own tenant's clients: the customer workflow.
    const own = await post(t, acmeAdmin, '/admin/tenants/acme/clients/new', [['name', 'Tom’s integration'], ['scope', 'documents:read'], ['grant_type', 'client_credentials']]);
    assertPage(own);
    const mine = secretsOf(own.body);
    assert.equal((await token(t, mine.clientId, mine.secret)).statusCode, 200);
  });

  it('scopes, users, signing keys and the audit log', async () => {
    assertPage(await get(t, operator, '/admin/tenants/acme/scopes'));
    const badScope = await post(t, operator, '/admin/tenants/acme/scopes', { name: 'a,b', description: 'x' });
    assertPage(badScope, 400);
    assert.equal((await post(t, operator, '/admin/tenants/acme/scopes/delete', { name: 'documents:read' })).statusCode, 303);

    assert.equal((await post(t, operator, '/admin/tenants/acme/users', { username: 'ann', password: 'ann-long-password' })).statusCode, 303);
    assert.match((await get(t, operator, '/admin/tenants/acme/users?q=ann')).body, /<td>ann<\/td>/);
    const last = await post(t, operator, '/admin/tenants/acme/users/remove', { username: 'ann' });
    assertPage(last, 400);
    assert.match(last.body, /last tenant/);
    assert.equal((await post(t, operator, '/admin/tenants/globex/users', { username: 'ann' })).headers.location, '/admin/tenants/globex/users?done=user-added');
    assert.equal((await post(t, operator, '/admin/tenants/acme/users/remove', { username: 'ann' })).statusCode, 303);

    assertPage(await get(t, operator, '/admin/keys'));
    assert.equal((await post(t, operator, '/admin/keys/rotate', { alg: 'ES256' })).statusCode, 303);
    const kid = /name="kid" value="([^"]+)"/.exec((await get(t, operator, '/admin/keys')).body)?.[1];
    assert.ok(kid, 'the retired key can be withdrawn');
    assert.equal((await post(t, operator, '/admin/keys/withdraw', { kid })).statusCode, 303);

    const audit = await get(t, operator, '/admin/audit?action=client.rotate_secret&tenant=acme&since=1h');
    assertPage(audit);
    assert.match(audit.body, /<code>client\.rotate_secret<\/code>/);
    assert.doesNotMatch(audit.body, /<code>client\.create<\/code>/);
    assertPage(await get(t, operator, '/admin/audit?since=yesterday'), 400);
    assertPage(await get(t, operator, '/admin/audit?cursor=not-a-cursor'), 400);
  });

  it('pages and the flash message ignore free text in the URL', async () => {
    const page = await get(t, operator, '/admin/tenants?done=%3Cb%3Ehi%3C%2Fb%3E&q=%3Cscript%3E');
    assertPage(page);
    assert.ok(!page.body.includes('<b>hi</b>'));
    assert.ok(!page.body.includes('<script>'));
  });
});
