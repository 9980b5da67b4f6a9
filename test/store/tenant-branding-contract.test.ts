/**
 * The TenantStore contract of branding (issue 14: setTenantBranding, findTenantLogo),
 * against every backend in STORAGE_TARGETS: SQLite always, PostgreSQL when
 * GATEHOUSE_TEST_POSTGRES_URL is set.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { SqlStorage } from '../../packages/server/src/store/sql/index.js';
import { STORAGE_TARGETS } from '../helpers/postgres.js';
import { openFreshStorage, type FreshStorage } from '../helpers/storage.js';

for (const target of STORAGE_TARGETS) {
  describe(`tenant store contract: branding (${target.name})`, { skip: target.skip }, () => {
    let fresh: FreshStorage;
    let storage: SqlStorage;

    before(async () => {
      fresh = await openFreshStorage(target, { prefix: 'tenant-branding' });
      storage = fresh.storage;
    });
    after(() => fresh?.close());

    it('a new tenant has no branding', async () => {
      const created = await storage.tenants.createTenant({ slug: 'plain', name: 'Plain', accessTokenTtl: null });
      assert.deepEqual(created.branding, { accent: null, termsUrl: null, privacyUrl: null, logo: null });
      assert.deepEqual(await storage.tenants.findTenantBySlug('plain'), created);
      assert.equal(await storage.tenants.findTenantLogo('plain'), undefined);
    });

    it('setTenantBranding changes the fields given, keeps the others, and findTenantLogo returns the exact bytes with the digest the tenant shows', async () => {
      await storage.tenants.createTenant({ slug: 'acme', name: 'Acme', accessTokenTtl: null });
      const bytes = randomBytes(70_000);
      const first = await storage.tenants.setTenantBranding('acme', { accent: '#0f766e', termsUrl: 'https://acme.example/terms', logo: { contentType: 'image/png', data: bytes } });
      assert.ok(first);
      assert.equal(first.branding.accent, '#0f766e');
      assert.equal(first.branding.termsUrl, 'https://acme.example/terms');
      assert.equal(first.branding.privacyUrl, null);
      assert.equal(first.branding.logo?.contentType, 'image/png');
      const logo = await storage.tenants.findTenantLogo('acme');
      assert.ok(logo);
      assert.ok(logo.data.equals(bytes), 'the bytes round-trip');
      assert.equal(logo.digest, first.branding.logo?.digest);

      const second = await storage.tenants.setTenantBranding('acme', { privacyUrl: 'https://acme.example/privacy', accent: null });
      assert.deepEqual(second?.branding, { ...first.branding, accent: null, privacyUrl: 'https://acme.example/privacy' }, 'only the fields given change');
      assert.deepEqual((await storage.tenants.listTenants()).find((tenant) => tenant.slug === 'acme'), second, 'listTenants shows the same (without the bytes)');

      const other = randomBytes(100);
      const third = await storage.tenants.setTenantBranding('acme', { logo: { contentType: 'image/webp', data: other } });
      assert.notEqual(third?.branding.logo?.digest, first.branding.logo?.digest, 'a new logo, a new digest');
      const removed = await storage.tenants.setTenantBranding('acme', { logo: null });
      assert.equal(removed?.branding.logo, null);
      assert.equal(await storage.tenants.findTenantLogo('acme'), undefined);
    });

    it('an unknown tenant: undefined, nothing written', async () => {
      assert.equal(await storage.tenants.setTenantBranding('nope', { accent: '#000000' }), undefined);
      assert.equal(await storage.tenants.setTenantBranding('nope', {}), undefined);
      assert.equal(await storage.tenants.findTenantLogo('nope'), undefined);
    });
  });
}
