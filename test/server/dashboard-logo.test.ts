/**
 * The dashboard's tenant logo upload and removal (issue 14, round 3), through the real
 * sign-in: the one multipart/form-data route (the guard checks its csrf_token field, read
 * before the file), the logo then served by Gatehouse; a text file, a file over 256 KiB or
 * a missing token store nothing; another tenant's admin gets 404; every other dashboard
 * route refuses multipart (415).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { signInToDashboard, type DashboardAdmin } from '../helpers/dashboard.js';
import { createTestGatehouse, postForm, type TestGatehouse } from '../helpers/gatehouse.js';

const PASSWORD = 'dashboard-password-1';
const BOUNDARY = '----gatehouse-test-boundary';

type Admin = DashboardAdmin;
/** Signs in through the real login page. */
const signIn = (t: TestGatehouse, username: string, password = PASSWORD): Promise<Admin> => signInToDashboard(t, username, password);

/** A smallest valid PNG: signature, IHDR (1×1, greyscale), IDAT, IEND (CRCs are not checked by the sniffing; still a real image). */
function tinyPng(): Buffer {
  return Buffer.from(
    '89504e470d0a1a0a0000000d4948445200000001000000010800000000' + '3a7e9b55' + '0000000a49444154789c6360000000020001e221bc33' + '0000000049454e44ae426082',
    'hex',
  );
}

/** A multipart/form-data body (RFC 7578): the fields in order, then the file when given. */
function multipartBody(fields: [string, string][], file?: { name: string; filename: string; type: string; data: Buffer }): Buffer {
  const chunks: Buffer[] = [];
  for (const [name, value] of fields) chunks.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  if (file) {
    chunks.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${file.name}"; filename="${file.filename}"\r\nContent-Type: ${file.type}\r\n\r\n`), file.data, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(chunks);
}

function postMultipart(t: TestGatehouse, admin: Admin, url: string, body: Buffer): Promise<LightMyRequestResponse> {
  return t.app.inject({ method: 'POST', url, payload: body, headers: { cookie: admin.cookie, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` } });
}

const upload = (t: TestGatehouse, admin: Admin, slug: string, file: { filename: string; type: string; data: Buffer }, csrf: string | null = admin.csrf) =>
  postMultipart(t, admin, `/admin/tenants/${slug}/branding/logo`, multipartBody(csrf === null ? [] : [['csrf_token', csrf]], { name: 'logo', ...file }));

describe('dashboard: tenant logo upload', () => {
  let t: TestGatehouse;
  let ann: Admin;
  let gary: Admin;

  const logoOf = async (slug: string) => (await t.gatehouse.admin.tenants.list()).find((tenant) => tenant.slug === slug)!.branding.logo;

  before(async () => {
    t = await createTestGatehouse();
    await t.gatehouse.admin.tenants.create({ slug: 'acme', name: 'Acme' });
    await t.gatehouse.admin.tenants.create({ slug: 'globex', name: 'Globex' });
    await t.gatehouse.admin.accounts.create({ tenant: 'acme', username: 'ann', password: PASSWORD });
    await t.gatehouse.admin.accounts.create({ tenant: 'globex', username: 'gary', password: PASSWORD });
    ann = await signIn(t, 'ann');
    gary = await signIn(t, 'gary');
  });
  after(() => t.close());

  it('the tenant page has the upload form, the CSRF token before the file', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/admin/tenants/acme', headers: { cookie: ann.cookie } });
    const form = /<form method="post" action="\/admin\/tenants\/acme\/branding\/logo" enctype="multipart\/form-data"[^>]*>([\s\S]*?)<\/form>/.exec(page.body);
    assert.ok(form, 'the logo form');
    assert.ok(form[1]!.indexOf('name="csrf_token"') < form[1]!.indexOf('type="file"'), 'csrf_token comes first');
    assert.match(form[1]!, /accept="image\/png,image\/jpeg,image\/webp,image\/svg\+xml"/);
    assert.doesNotMatch(page.body, /Remove logo/, 'nothing to remove yet');
    assert.doesNotMatch(page.body, /--logo FILE/);
  });

  it('a POST without csrf_token is refused (403) and stores nothing', async () => {
    const refused = await upload(t, ann, 'acme', { filename: 'logo.png', type: 'image/png', data: tinyPng() }, null);
    assert.equal(refused.statusCode, 403);
    const wrong = await upload(t, ann, 'acme', { filename: 'logo.png', type: 'image/png', data: tinyPng() }, 'not-the-token');
    assert.equal(wrong.statusCode, 403);
    // The token after the file is not read: the file comes first, refused.
    const late = await postMultipart(t, ann, '/admin/tenants/acme/branding/logo', Buffer.concat([
      multipartBody([], { name: 'logo', filename: 'logo.png', type: 'image/png', data: tinyPng() }).subarray(0, -(BOUNDARY.length + 6)),
      Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n${ann.csrf}\r\n--${BOUNDARY}--\r\n`),
    ]));
    assert.equal(late.statusCode, 403);
    assert.equal(await logoOf('acme'), null);
  });

  it('a text file is refused on the form and stores nothing', async () => {
    const refused = await upload(t, ann, 'acme', { filename: 'notes.png', type: 'image/png', data: Buffer.from('just some text, not an image\n') });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /class="notice error" role="alert">logo: the logo must be a PNG, JPEG, WebP or SVG image/);
    assert.equal(await logoOf('acme'), null);
  });

  it('a file over 256 KiB is refused (413) and stores nothing', async () => {
    const big = Buffer.concat([tinyPng(), Buffer.alloc(300 * 1024)]);
    const refused = await upload(t, ann, 'acme', { filename: 'big.png', type: 'image/png', data: big });
    assert.equal(refused.statusCode, 413);
    assert.match(refused.body, /larger than 256 KiB/);
    assert.equal(await logoOf('acme'), null);
  });

  it('no file chosen: the form says so', async () => {
    const refused = await upload(t, ann, 'acme', { filename: '', type: 'application/octet-stream', data: Buffer.alloc(0) });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /choose an image file/);
  });

  it("another tenant's admin gets 404 and stores nothing", async () => {
    const refused = await upload(t, gary, 'acme', { filename: 'logo.png', type: 'image/png', data: tinyPng() });
    assert.equal(refused.statusCode, 404);
    assert.equal(await logoOf('acme'), null);
    const remove = await postForm(t.app, '/admin/tenants/acme/branding/logo/remove', { csrf_token: gary.csrf }, { cookie: gary.cookie });
    assert.equal(remove.statusCode, 404);
  });

  it('a PNG is uploaded, served by Gatehouse, shown on the page, then removed', async () => {
    const png = tinyPng();
    const saved = await upload(t, ann, 'acme', { filename: 'logo.png', type: 'image/png', data: png });
    assert.equal(saved.statusCode, 303, saved.body);
    assert.equal(saved.headers.location, '/admin/tenants/acme?done=logo-uploaded');

    const served = await t.app.inject({ method: 'GET', url: '/oauth/assets/tenants/acme/logo' });
    assert.equal(served.statusCode, 200);
    assert.equal(served.headers['content-type'], 'image/png');
    assert.deepEqual(served.rawPayload, png);

    const page = await t.app.inject({ method: 'GET', url: '/admin/tenants/acme?done=logo-uploaded', headers: { cookie: ann.cookie } });
    assert.match(page.body, /The logo was uploaded\./);
    assert.match(page.body, /<img src="\/oauth\/assets\/tenants\/acme\/logo\?v=[^"]+" alt="Acme logo"/);
    assert.match(page.body, /Remove logo/);

    const removed = await postForm(t.app, '/admin/tenants/acme/branding/logo/remove', { csrf_token: ann.csrf }, { cookie: ann.cookie });
    assert.equal(removed.statusCode, 303, removed.body);
    assert.equal(removed.headers.location, '/admin/tenants/acme?done=logo-removed');
    assert.equal(await logoOf('acme'), null);
    assert.equal((await t.app.inject({ method: 'GET', url: '/oauth/assets/tenants/acme/logo' })).statusCode, 404);
  });

  it('multipart to any other dashboard route is refused (415)', async () => {
    for (const url of ['/admin/tenants/acme/branding', '/admin/tenants/acme/branding/logo/remove', '/admin/tenants/acme', '/admin/logout', '/admin/login']) {
      const response = await postMultipart(t, ann, url, multipartBody([['csrf_token', ann.csrf], ['accent', '#000000']]));
      assert.equal(response.statusCode, 415, url);
    }
    assert.equal((await t.gatehouse.admin.tenants.list()).find((tenant) => tenant.slug === 'acme')!.branding.accent, null);
  });
});
