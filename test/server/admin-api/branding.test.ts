/**
 * A tenant's branding through the admin API (fastify.inject), on SQLite and on PostgreSQL:
 * the tenant resource carries `branding`; PATCH /tenants/{slug} sets and clears the accent
 * and footer links (bad values 400 naming what is wrong); PUT /tenants/{slug}/logo takes the
 * raw image (its type read from the bytes, served at `logo_url`), beyond 256 KiB 413, not
 * an image 400, JSON 415; DELETE …/logo removes it. A tenant admin brands its own tenant,
 * not another (404).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { STORAGE_TARGETS } from '../../helpers/postgres.js';
import { assertProblem, openAdminApi, unique, V1, type AdminApiFixture } from './helpers.js';

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(32, 1)]);
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');
const UNBRANDED = { accent: null, logo_url: null, terms_url: null, privacy_url: null };

for (const target of STORAGE_TARGETS) {
  describe(`admin API: tenant branding (${target.name})`, { skip: target.skip }, () => {
    let f: AdminApiFixture;
    let slug: string;
    before(async () => {
      f = await openAdminApi(target);
    });
    after(() => f?.close());

    const op = (method: string, url: string, body?: unknown, headers?: Record<string, string>) => f.call(f.tokens.operator, method, url, body, headers);

    it('GET /tenants/{slug} and the tenant list answer with the branding', async () => {
      slug = unique('brand');
      const created = await op('POST', `${V1}/tenants`, { slug });
      assert.deepEqual(created.json().branding, UNBRANDED);
      assert.deepEqual((await op('GET', `${V1}/tenants/${slug}`)).json().branding, UNBRANDED);
      const listed = (await op('GET', `${V1}/tenants?limit=1000`)).json() as { items: { slug: string; branding: unknown }[] };
      assert.deepEqual(listed.items.find((tenant) => tenant.slug === slug)?.branding, UNBRANDED);
    });

    it('PATCH sets the accent and footer links (absent fields kept, null clears), refuses bad values with 400', async () => {
      const set = await op('PATCH', `${V1}/tenants/${slug}`, { branding: { accent: '#0B6BCB', terms_url: 'https://example.com/terms', privacy_url: 'https://example.com/privacy' } });
      assert.equal(set.statusCode, 200, set.body);
      assert.deepEqual(set.json().branding, { accent: '#0b6bcb', logo_url: null, terms_url: 'https://example.com/terms', privacy_url: 'https://example.com/privacy' });
      const cleared = await op('PATCH', `${V1}/tenants/${slug}`, { branding: { terms_url: null } });
      assert.deepEqual(cleared.json().branding, { accent: '#0b6bcb', logo_url: null, terms_url: null, privacy_url: 'https://example.com/privacy' });
      assert.deepEqual((await op('GET', `${V1}/tenants/${slug}`)).json().branding, cleared.json().branding);

      assertProblem(await op('PATCH', `${V1}/tenants/${slug}`, { branding: { accent: 'red' } }), 400, 'invalid_request');
      assertProblem(await op('PATCH', `${V1}/tenants/${slug}`, { branding: { privacy_url: 'javascript:alert(1)' } }), 400, 'invalid_request');
      const unknown = assertProblem(await op('PATCH', `${V1}/tenants/${slug}`, { branding: { logo_url: '/x.png' } }), 400, 'invalid_request');
      assert.equal(unknown.field, 'branding/logo_url');
      const events = (await op('GET', `${V1}/audit-events?action=tenant.branding&tenant=${slug}`)).json() as { items: { outcome: string }[] };
      assert.equal(events.items.filter((event) => event.outcome === 'success').length, 2);
    });

    it('PUT …/logo takes the raw image and serves it at logo_url; DELETE removes it', async () => {
      const put = await op('PUT', `${V1}/tenants/${slug}/logo`, PNG, { 'content-type': 'image/png' });
      assert.equal(put.statusCode, 200, put.body);
      const logoUrl = put.json().branding.logo_url as string;
      assert.ok(logoUrl.startsWith('/'), logoUrl);
      const served = await f.t.app.inject({ url: logoUrl });
      assert.equal(served.statusCode, 200);
      assert.equal(served.headers['content-type'], 'image/png');
      assert.deepEqual(served.rawPayload, PNG);

      const svg = await op('PUT', `${V1}/tenants/${slug}/logo`, SVG, { 'content-type': 'image/svg+xml' });
      assert.equal(svg.statusCode, 200, svg.body);
      assert.notEqual(svg.json().branding.logo_url, logoUrl);

      const removed = await op('DELETE', `${V1}/tenants/${slug}/logo`);
      assert.equal(removed.statusCode, 200, removed.body);
      assert.equal(removed.json().branding.logo_url, null);
      assert.equal(removed.json().branding.accent, '#0b6bcb');
    });

    it('a logo over 256 KiB is 413, bytes that are no image 400, a JSON or octet-stream body 415', async () => {
      const big = Buffer.concat([PNG, Buffer.alloc(256 * 1024)]);
      assertProblem(await op('PUT', `${V1}/tenants/${slug}/logo`, big, { 'content-type': 'image/png' }), 413, 'invalid_request');
      assertProblem(await op('PUT', `${V1}/tenants/${slug}/logo`, Buffer.from('GIF89a......'), { 'content-type': 'image/png' }), 400, 'invalid_request');
      assertProblem(await op('PUT', `${V1}/tenants/${slug}/logo`, Buffer.alloc(0), { 'content-type': 'image/png' }), 400, 'invalid_request');
      assertProblem(await op('PUT', `${V1}/tenants/${slug}/logo`, { logo: 'x' }), 415, 'invalid_request');
      const octets = assertProblem(await op('PUT', `${V1}/tenants/${slug}/logo`, PNG, { 'content-type': 'application/octet-stream' }), 415, 'invalid_request');
      assert.match(String(octets.detail), /image\/png/);
      assert.equal((await op('GET', `${V1}/tenants/${slug}`)).json().branding.logo_url, null);
    });

    it('a tenant admin brands its own tenant; another tenant is 404', async () => {
      const own = await f.call(f.tokens.acme, 'PATCH', `${V1}/tenants/acme`, { branding: { accent: '#123456' } });
      assert.deepEqual([own.statusCode, own.json().branding.accent], [200, '#123456']);
      assert.equal((await f.call(f.tokens.acme, 'PUT', `${V1}/tenants/acme/logo`, PNG, { 'content-type': 'image/png' })).statusCode, 200);
      assertProblem(await f.call(f.tokens.acme, 'PATCH', `${V1}/tenants/globex`, { branding: { accent: '#123456' } }), 404, 'not_found');
      assertProblem(await f.call(f.tokens.acme, 'PUT', `${V1}/tenants/globex/logo`, PNG, { 'content-type': 'image/png' }), 404, 'not_found');
      assertProblem(await f.call(f.tokens.acme, 'DELETE', `${V1}/tenants/globex/logo`), 404, 'not_found');
      assert.equal((await op('GET', `${V1}/tenants/globex`)).json().branding.accent, null);
    });
  });
}
