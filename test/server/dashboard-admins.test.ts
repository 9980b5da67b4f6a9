/**
 * The dashboard's tenant admins, branding form and disabled tenants (issue 14, round 2),
 * through fastify.inject and the real sign-in: an operator invites a tenant admin, who
 * signs in and manages its own tenant's admins but never its own account nor an
 * operator; a disabled tenant's admin cannot sign in (told so only after the right
 * password) and its open session ends; the branding form saves or names the bad field.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { signInToDashboard, submitDashboardLogin, type DashboardAdmin } from '../helpers/dashboard.js';
import { createTestGatehouse, postForm, type TestGatehouse } from '../helpers/gatehouse.js';

const PASSWORD = 'dashboard-password-1';

type Admin = DashboardAdmin;
/** Signs in through the real login page. */
const signIn = (t: TestGatehouse, username: string, password = PASSWORD): Promise<Admin> => signInToDashboard(t, username, password);

const get = (t: TestGatehouse, admin: Admin, url: string) => t.app.inject({ method: 'GET', url, headers: { cookie: admin.cookie } });

function post(t: TestGatehouse, admin: Admin, url: string, fields: Record<string, string>): Promise<LightMyRequestResponse> {
  return postForm(t.app, url, new URLSearchParams({ ...fields, csrf_token: admin.csrf }).toString(), { cookie: admin.cookie });
}

describe('dashboard: tenant admins, branding, disabled tenants', () => {
  let t: TestGatehouse;
  let operator: Admin;

  before(async () => {
    t = await createTestGatehouse();
    await t.gatehouse.admin.accounts.create({ tenant: null, username: 'olivia', password: PASSWORD });
    await t.gatehouse.admin.tenants.create({ slug: 'acme', name: 'Acme' });
    await t.gatehouse.admin.tenants.create({ slug: 'globex', name: 'Globex' });
    await t.gatehouse.admin.accounts.create({ tenant: 'globex', username: 'gary', password: PASSWORD });
    operator = await signIn(t, 'olivia');
  });
  after(() => t.close());

  it('one frame: the home page has the header navigation and a single sign-out', async () => {
    const home = await get(t, operator, '/admin');
    assert.match(home.body, /<nav class="site-nav"/);
    assert.equal(home.body.match(/action="\/admin\/logout"/g)?.length, 1);
    assert.doesNotMatch(home.body, /Log out/);
    const mfa = await get(t, operator, '/admin/account/mfa');
    assert.match(mfa.body, /<nav class="site-nav"/);
  });

  it('an operator invites a tenant admin from the tenant page; the passwords must match; it is audited', async () => {
    const differ = await post(t, operator, '/admin/tenants/acme/admins', { username: 'ann', password: PASSWORD, password_again: 'something-else-1' });
    assert.equal(differ.statusCode, 400);
    assert.match(differ.body, /the two passwords differ/);
    assert.match(differ.body, /value="ann"/, 'the username typed stays');
    assert.doesNotMatch(differ.body, new RegExp(PASSWORD), 'the password is never echoed');

    const created = await post(t, operator, '/admin/tenants/acme/admins', { username: 'ann', password: PASSWORD, password_again: PASSWORD });
    assert.equal(created.statusCode, 303, created.body);
    assert.equal(created.headers.location, '/admin/tenants/acme?done=admin-created');
    const page = await get(t, operator, '/admin/tenants/acme');
    assert.match(page.body, /<h2 id="admins">Tenant admins<\/h2>/);
    assert.match(page.body, /<td>ann<\/td>/);
    assert.doesNotMatch(page.body, /gary/, "another tenant's admin is not listed");
    const { events } = await t.gatehouse.audit.list({ tenant: 'acme' });
    assert.ok(events.some((event) => event.action === 'admin.create' && event.target === 'ann' && event.actor === 'olivia'));

    const weak = await post(t, operator, '/admin/tenants/acme/admins', { username: 'bob', password: 'short', password_again: 'short' });
    assert.equal(weak.statusCode, 400);
    assert.match(weak.body, /notice error/);
  });

  it('a tenant admin manages its own tenant admins, but not itself, another tenant or the operators', async () => {
    const ann = await signIn(t, 'ann');
    assert.equal((await post(t, ann, '/admin/tenants/acme/admins', { username: 'bea', password: PASSWORD, password_again: PASSWORD })).statusCode, 303);
    const page = await get(t, ann, '/admin/tenants/acme');
    assert.match(page.body, /ann <span class="muted small">\(you\)<\/span>/);
    assert.doesNotMatch(page.body, /admins\/ann\/(disable|delete)/, 'no buttons against oneself');

    const self = await post(t, ann, '/admin/tenants/acme/admins/ann/disable', {});
    assert.equal(self.statusCode, 403);
    assert.match(self.body, /you cannot disable your own account/);
    const selfDelete = await post(t, ann, '/admin/tenants/acme/admins/ANN/delete', {});
    assert.equal(selfDelete.statusCode, 403);
    assert.match(selfDelete.body, /you cannot delete your own account/);

    assert.equal((await post(t, ann, '/admin/tenants/globex/admins/gary/disable', {})).statusCode, 404);
    assert.equal((await post(t, ann, '/admin/tenants/acme/admins/olivia/delete', {})).statusCode, 404, 'an operator is out of reach');
    assert.equal((await post(t, ann, '/admin/tenants/globex/admins', { username: 'mal', password: PASSWORD, password_again: PASSWORD })).statusCode, 404);
    assert.equal((await get(t, ann, '/admin/operators')).statusCode, 403);

    const bea = await signIn(t, 'bea');
    assert.equal((await post(t, ann, '/admin/tenants/acme/admins/bea/disable', {})).headers.location, '/admin/tenants/acme?done=admin-disabled');
    assert.equal((await get(t, bea, '/admin')).statusCode, 303, "the disabled admin's session ended");
    assert.equal((await submitDashboardLogin(t, 'bea', PASSWORD)).response.statusCode, 401);
    assert.equal((await post(t, ann, '/admin/tenants/acme/admins/bea/enable', {})).headers.location, '/admin/tenants/acme?done=admin-enabled');
    await signIn(t, 'bea');
    assert.equal((await post(t, ann, '/admin/tenants/acme/admins/bea/delete', {})).headers.location, '/admin/tenants/acme?done=admin-deleted');
    assert.doesNotMatch((await get(t, ann, '/admin/tenants/acme')).body, /<td>bea/);
    const { events } = await t.gatehouse.audit.list({ tenant: 'acme' });
    assert.ok(events.some((event) => event.action === 'admin.delete' && event.target === 'bea' && event.actor === 'ann'));
  });

  it('an operator sees the operator accounts (read-only)', async () => {
    const page = await get(t, operator, '/admin/operators');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<td>olivia <span class="muted small">\(you\)<\/span><\/td>/);
    assert.doesNotMatch(page.body, /<td>ann/);
  });

  it('a disabled tenant: its admin is told so only after the right password, and an open session ends', async () => {
    const gary = await signIn(t, 'gary');
    assert.equal((await post(t, operator, '/admin/tenants/globex/disable', {})).statusCode, 303);

    const live = await get(t, gary, '/admin');
    assert.equal(live.statusCode, 303);
    assert.equal(live.headers.location, '/admin/login');
    const wrong = await submitDashboardLogin(t, 'gary', 'not-the-password-1');
    assert.equal(wrong.response.statusCode, 401);
    assert.match(wrong.response.body, /Incorrect username or password/);
    assert.doesNotMatch(wrong.response.body, /tenant is disabled/);
    const right = await submitDashboardLogin(t, 'gary', PASSWORD);
    assert.equal(right.response.statusCode, 403);
    assert.match(right.response.body, /This tenant is disabled/);

    assert.equal((await post(t, operator, '/admin/tenants/globex/enable', {})).statusCode, 303);
    assert.equal((await get(t, gary, '/admin')).statusCode, 303, 'the ended session stays ended');
    await signIn(t, 'gary');
  });

  it('the branding form saves accent and links, and a bad value is shown on the form', async () => {
    const ann = await signIn(t, 'ann');
    const bad = await post(t, ann, '/admin/tenants/acme/branding', { accent_was: '', accent: 'blue', accent_picker: '#0b6bcb', terms_url: '', privacy_url: '' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /accent &quot;blue&quot;: expected a colour/);
    assert.match(bad.body, /id="branding-accent"[^>]*value="blue"/);

    const badUrl = await post(t, ann, '/admin/tenants/acme/branding', { accent_was: '', accent: '', accent_picker: '#0b6bcb', terms_url: 'ftp://x', privacy_url: '' });
    assert.equal(badUrl.statusCode, 400);
    assert.match(badUrl.body, /terms URL/);

    const saved = await post(t, ann, '/admin/tenants/acme/branding', { accent_was: '', accent: '', accent_picker: '#aa3300', terms_url: 'https://acme.example/terms', privacy_url: 'https://acme.example/privacy' });
    assert.equal(saved.headers.location, '/admin/tenants/acme?done=branding-saved');
    let tenant = (await t.gatehouse.admin.tenants.list()).find((candidate) => candidate.slug === 'acme')!;
    assert.deepEqual([tenant.branding.accent, tenant.branding.termsUrl, tenant.branding.privacyUrl], ['#aa3300', 'https://acme.example/terms', 'https://acme.example/privacy']);
    const page = await get(t, ann, '/admin/tenants/acme');
    assert.match(page.body, /type="color" id="branding-accent-picker" name="accent_picker" value="#aa3300"/);
    assert.match(page.body, /enctype="multipart\/form-data"/);

    // The text field, when changed, wins; emptied, it clears the accent.
    await post(t, ann, '/admin/tenants/acme/branding', { accent_was: '#aa3300', accent: '', accent_picker: '#aa3300', terms_url: '', privacy_url: '' });
    tenant = (await t.gatehouse.admin.tenants.list()).find((candidate) => candidate.slug === 'acme')!;
    assert.deepEqual([tenant.branding.accent, tenant.branding.termsUrl], [null, null]);
    assert.equal((await post(t, ann, '/admin/tenants/globex/branding', { accent: '#000000' })).statusCode, 404);
  });
});
