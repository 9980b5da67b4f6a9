/**
 * The ConsentStore contract (src/core/storage.ts), against every backend in
 * STORAGE_TARGETS: SQLite always, PostgreSQL when GATEHOUSE_TEST_POSTGRES_URL is set.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NotFoundError } from '../../packages/server/src/core/errors.js';
import type { SqlStorage } from '../../packages/server/src/store/sql/index.js';
import { STORAGE_TARGETS } from '../helpers/postgres.js';
import { openFreshStorage, uniqueId, type FreshStorage } from '../helpers/storage.js';

for (const target of STORAGE_TARGETS) {
  describe(`consent store contract (${target.name})`, { skip: target.skip }, () => {
    let fresh: FreshStorage;
    let storage: SqlStorage;
    let clientId: string;
    let userId: string;

    before(async () => {
      fresh = await openFreshStorage(target, { prefix: 'consents' });
      storage = fresh.storage;
      const tenant = await storage.tenants.createTenant({ slug: 'acme', name: 'Acme', accessTokenTtl: null });
      clientId = uniqueId('client');
      await storage.clients.createClient({
        id: clientId, tenantId: tenant.id, name: 'App', isPublic: true, secretDigest: null, grantTypes: ['authorization_code'],
        scopes: ['a', 'b'], defaultScopes: [], redirectUris: ['https://app.example.com/cb'], accessTokenTtl: null, resourceServer: false,
      });
      userId = (await storage.users.createUser({ username: 'alice', passwordHash: 'x', tenantIds: [tenant.id] })).id;
    });
    after(() => fresh?.close());

    it('finds nothing before a save; saves, then replaces scopes and tenants keeping the creation time', async () => {
      assert.equal(await storage.consents.findConsent(userId, clientId), undefined);
      const first = await storage.consents.saveConsent({ userId, clientId, scopes: ['b', 'a'], tenants: ['acme'] });
      assert.deepEqual(first.scopes, ['a', 'b']);
      assert.deepEqual(first.tenants, ['acme']);
      const second = await storage.consents.saveConsent({ userId, clientId, scopes: ['a'], tenants: ['acme', 'globex'] });
      assert.deepEqual(second.scopes, ['a']);
      assert.deepEqual(second.tenants, ['acme', 'globex']);
      assert.equal(second.createdAt, first.createdAt);
      assert.deepEqual(await storage.consents.findConsent(userId, clientId), second);
    });

    it('deleteConsent forgets the consent (true), then finds nothing to delete (false)', async () => {
      await storage.consents.saveConsent({ userId, clientId, scopes: ['a'], tenants: ['acme'] });
      assert.equal(await storage.consents.deleteConsent(userId, clientId), true);
      assert.equal(await storage.consents.findConsent(userId, clientId), undefined);
      assert.equal(await storage.consents.deleteConsent(userId, clientId), false);
      assert.equal(await storage.consents.deleteConsent('nobody', clientId), false);
    });

    it("removeTenantFromConsents drops the tenant from the user's consents and deletes those left with none", async () => {
      const other = uniqueId('client');
      const tenant = (await storage.tenants.findTenantBySlug('acme'))!;
      await storage.clients.createClient({
        id: other, tenantId: tenant.id, name: 'Other', isPublic: true, secretDigest: null, grantTypes: ['authorization_code'],
        scopes: ['a'], defaultScopes: [], redirectUris: ['https://other.example.com/cb'], accessTokenTtl: null, resourceServer: false,
      });
      await storage.consents.saveConsent({ userId, clientId, scopes: ['a'], tenants: ['acme', 'globex'] });
      await storage.consents.saveConsent({ userId, clientId: other, scopes: ['a'], tenants: ['globex'] });
      assert.equal(await storage.consents.removeTenantFromConsents(userId, 'globex'), 2);
      assert.deepEqual((await storage.consents.findConsent(userId, clientId))!.tenants, ['acme']);
      assert.equal(await storage.consents.findConsent(userId, other), undefined, 'a consent left with no tenant is gone');
      assert.equal(await storage.consents.removeTenantFromConsents(userId, 'globex'), 0);
    });

    it('refuses a consent for an unknown user or client with NotFoundError', async () => {
      await assert.rejects(storage.consents.saveConsent({ userId: 'nobody', clientId, scopes: [], tenants: [] }), NotFoundError);
      await assert.rejects(storage.consents.saveConsent({ userId, clientId: 'nothing', scopes: [], tenants: [] }), NotFoundError);
    });
  });
}
