/**
 * The ClientStore and TenantStore contract of the admin operations of issue 14
 * (updateClient, deleteClient, updateTenant, setTenantDisabled, deleteScope), against every backend in STORAGE_TARGETS: SQLite always, PostgreSQL
 * when GATEHOUSE_TEST_POSTGRES_URL is set.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ClientSettings, NewClient } from '../../packages/server/src/core/storage.js';
import type { SqlStorage } from '../../packages/server/src/store/sql/index.js';
import { STORAGE_TARGETS } from '../helpers/postgres.js';
import { openFreshStorage, randomDigest, uniqueId, type FreshStorage } from '../helpers/storage.js';

for (const target of STORAGE_TARGETS) {
  describe(`client store contract: update and delete (${target.name})`, { skip: target.skip }, () => {
    let fresh: FreshStorage;
    let storage: SqlStorage;
    let tenantId: string;

    before(async () => {
      fresh = await openFreshStorage(target, { prefix: 'client-admin' });
      storage = fresh.storage;
      tenantId = (await storage.tenants.createTenant({ slug: 'acme', name: 'Acme', accessTokenTtl: null })).id;
    });
    after(() => fresh?.close());

    const newClient = (): NewClient => ({
      id: uniqueId('client'), tenantId, name: 'App', isPublic: false, secretDigest: randomDigest(), grantTypes: ['client_credentials'],
      scopes: ['a'], defaultScopes: [], redirectUris: [], accessTokenTtl: null, resourceServer: false,
    });
    const settings: ClientSettings = {
      name: 'Renamed', grantTypes: ['client_credentials', 'authorization_code'], scopes: ['a', 'new:scope'], defaultScopes: ['a'], redirectUris: ['https://app.example.com/cb'],
      accessTokenTtl: 600, refreshIdleTtl: 120, refreshAbsoluteTtl: 240, refreshGraceSeconds: 5,
    };

    it('updateClient replaces the settings, registers the new scope names, leaves the epoch and the secret alone', async () => {
      const created = await storage.clients.createClient(newClient());
      const updated = await storage.clients.updateClient(created.id, settings);
      assert.ok(updated);
      assert.deepEqual(
        { ...updated, updatedAt: 0 },
        { ...created, ...settings, updatedAt: 0 },
      );
      assert.ok(updated.updatedAt >= created.updatedAt);
      assert.deepEqual(await storage.clients.findClient(created.id), updated);
      assert.ok((await storage.scopes.listScopes(tenantId)).some((scope) => scope.name === 'new:scope'));
      assert.equal(await storage.clients.updateClient('no-such-client', settings), undefined);
    });

    it('deleteClient hides the client from findClient and listClients and raises its epoch on the revocation feed', async () => {
      const created = await storage.clients.createClient(newClient());
      const before = (await storage.revocations.readChanges(Number.MAX_SAFE_INTEGER, 0)).revision;
      assert.equal(await storage.clients.deleteClient(created.id), true);
      assert.equal(await storage.clients.findClient(created.id), undefined);
      assert.ok(!(await storage.clients.listClients(tenantId)).some((client) => client.id === created.id));
      const changes = await storage.revocations.readChanges(before, 0);
      assert.ok(changes.revision > before);
      assert.deepEqual(changes.clients, [{ client_id: created.id, epoch: created.revocationEpoch + 1 }]);
    });

    it('a deleted client is absent for every other operation, a second delete included, and its id stays taken', async () => {
      const created = await storage.clients.createClient(newClient());
      await storage.clients.deleteClient(created.id);
      assert.equal(await storage.clients.deleteClient(created.id), false);
      assert.equal(await storage.clients.deleteClient('no-such-client'), false);
      assert.equal(await storage.clients.updateClient(created.id, settings), undefined);
      assert.equal(await storage.clients.setClientDisabled(created.id, true), undefined);
      const change = { expectedSecretDigest: created.secretDigest!, secretDigest: randomDigest(), previousSecretDigest: null, previousSecretExpiresAt: null, revokeTokens: true };
      assert.equal(await storage.clients.updateClientSecret(created.id, change), undefined);
      await assert.rejects(storage.clients.createClient({ ...newClient(), id: created.id }), /already exists/);
    });

    it('updateTenant replaces the name and lifetime (the slug stays); findClient reports the new lifetime at once', async () => {
      const tenant = await storage.tenants.createTenant({ slug: 'initech', name: 'Initech', accessTokenTtl: null });
      const client = await storage.clients.createClient({ ...newClient(), tenantId: tenant.id });
      assert.equal((await storage.clients.findClient(client.id))?.tenantAccessTokenTtl, null);
      const updated = await storage.tenants.updateTenant('initech', { name: 'Initech Corp', accessTokenTtl: 900 });
      assert.deepEqual(updated, { ...tenant, name: 'Initech Corp', accessTokenTtl: 900 });
      assert.deepEqual(await storage.tenants.findTenantBySlug('initech'), updated);
      assert.equal((await storage.clients.findClient(client.id))?.tenantAccessTokenTtl, 900);
      assert.equal(await storage.tenants.updateTenant('nowhere', { name: 'X', accessTokenTtl: null }), undefined);
    });

    it("setTenantDisabled: findClient reports the tenant disabled, every client's epoch rises on the feed; enabling keeps the epochs", async () => {
      const tenant = await storage.tenants.createTenant({ slug: 'umbrella', name: 'Umbrella', accessTokenTtl: null });
      assert.equal(tenant.disabled, false);
      const one = await storage.clients.createClient({ ...newClient(), tenantId: tenant.id });
      const two = await storage.clients.createClient({ ...newClient(), tenantId: tenant.id });
      const elsewhere = await storage.clients.createClient(newClient());
      const before = (await storage.revocations.readChanges(Number.MAX_SAFE_INTEGER, 0)).revision;
      assert.equal((await storage.tenants.setTenantDisabled('umbrella', true))?.disabled, true);
      assert.equal((await storage.tenants.findTenantBySlug('umbrella'))?.disabled, true);
      const found = await storage.clients.findClient(one.id);
      assert.deepEqual([found?.tenantDisabled, found?.disabled, found?.revocationEpoch], [true, false, 1]);
      assert.equal((await storage.clients.findClient(elsewhere.id))?.tenantDisabled, false);
      const changes = await storage.revocations.readChanges(before, 0);
      assert.deepEqual(
        changes.clients.sort((a, b) => a.client_id.localeCompare(b.client_id)),
        [one, two].map((client) => ({ client_id: client.id, epoch: 1 })).sort((a, b) => a.client_id.localeCompare(b.client_id)),
      );
      assert.equal((await storage.tenants.setTenantDisabled('umbrella', false))?.disabled, false);
      const enabled = await storage.clients.findClient(one.id);
      assert.deepEqual([enabled?.tenantDisabled, enabled?.revocationEpoch], [false, 1]);
      assert.equal(await storage.tenants.setTenantDisabled('nowhere', true), undefined);
    });

    it('deleteScope removes the scope from the catalogue only; a client listing it keeps the name', async () => {
      const client = await storage.clients.createClient({ ...newClient(), scopes: ['gone:soon', 'kept'] });
      await storage.scopes.upsertScope(tenantId, 'gone:soon', 'Soon gone');
      assert.equal(await storage.scopes.deleteScope(tenantId, 'gone:soon'), true);
      assert.ok(!(await storage.scopes.listScopes(tenantId)).some((scope) => scope.name === 'gone:soon'));
      assert.ok((await storage.scopes.listScopes(tenantId)).some((scope) => scope.name === 'kept'));
      assert.deepEqual((await storage.clients.findClient(client.id))?.scopes, ['gone:soon', 'kept']);
      assert.equal(await storage.scopes.deleteScope(tenantId, 'gone:soon'), false);
      assert.equal(await storage.scopes.deleteScope('no-such-tenant', 'kept'), false);
    });
  });
}
