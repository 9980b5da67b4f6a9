/**
 * The ClientStore contract for operator clients (issue 14: tenantId null), against every
 * backend in STORAGE_TARGETS: an operator client is invisible from every tenant's list, a
 * tenant's client from the operator list; gatehouse:admin never enters a tenant's scope
 * catalogue; another process's change to an operator client is seen by the next lookup
 * (the SQLite client cache stays exact).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NewClient } from '../../packages/server/src/core/storage.js';
import type { SqlStorage } from '../../packages/server/src/store/sql/index.js';
import { STORAGE_TARGETS } from '../helpers/postgres.js';
import { openFreshStorage, randomDigest, uniqueId, type FreshStorage } from '../helpers/storage.js';

for (const target of STORAGE_TARGETS) {
  describe(`client store contract: operator clients (${target.name})`, { skip: target.skip }, () => {
    let fresh: FreshStorage;
    let storage: SqlStorage;
    let acme: string;
    let globex: string;

    before(async () => {
      fresh = await openFreshStorage(target, { prefix: 'operator-clients' });
      storage = fresh.storage;
      acme = (await storage.tenants.createTenant({ slug: 'acme', name: 'Acme', accessTokenTtl: 300 })).id;
      globex = (await storage.tenants.createTenant({ slug: 'globex', name: 'Globex', accessTokenTtl: null })).id;
    });
    after(() => fresh?.close());

    const newClient = (tenantId: string | null, scopes = ['gatehouse:admin']): NewClient => ({
      id: uniqueId('client'), tenantId, name: 'Automation', isPublic: false, secretDigest: randomDigest(), grantTypes: ['client_credentials'],
      scopes, defaultScopes: scopes, redirectUris: [], accessTokenTtl: null, resourceServer: false,
    });

    it('an operator client has no tenant, and is invisible from every tenant list', async () => {
      const operator = await storage.clients.createClient(newClient(null));
      const tenantClient = await storage.clients.createClient(newClient(acme));
      assert.deepEqual(
        [operator.tenantId, operator.tenantSlug, operator.tenantAccessTokenTtl, operator.tenantDisabled, operator.disabled, operator.revocationEpoch],
        [null, null, null, false, false, 0],
      );
      assert.deepEqual(await storage.clients.findClient(operator.id), operator);
      for (const tenantId of [acme, globex]) {
        assert.ok(!(await storage.clients.listClients(tenantId)).some((client) => client.id === operator.id), `not in ${tenantId}'s list`);
      }
      const operators = await storage.clients.listOperatorClients();
      assert.ok(operators.some((client) => client.id === operator.id));
      assert.ok(operators.every((client) => client.tenantId === null), 'no tenant client in the operator list');
      assert.ok(!operators.some((client) => client.id === tenantClient.id));
    });

    it("gatehouse:admin never enters a tenant's scope catalogue; an operator client touches none", async () => {
      const scopesBefore = await storage.scopes.listScopeNames();
      await storage.clients.createClient(newClient(null));
      const tenantAdmin = await storage.clients.createClient(newClient(globex, ['gatehouse:admin']));
      await storage.clients.updateClient(tenantAdmin.id, { ...tenantAdmin, scopes: ['gatehouse:admin', 'reports:read'], defaultScopes: ['gatehouse:admin'] });
      assert.ok(!(await storage.scopes.listScopeNames()).includes('gatehouse:admin'));
      assert.deepEqual((await storage.scopes.listScopes(globex)).map((scope) => scope.name), ['reports:read']);
      assert.deepEqual(await storage.scopes.listScopeNames(), [...new Set([...scopesBefore, 'reports:read'])].sort());
    });

    it('secret rotation, disabling and deletion of an operator client raise its epoch on the revocation feed', async () => {
      const operator = await storage.clients.createClient(newClient(null));
      const start = (await storage.revocations.readChanges(Number.MAX_SAFE_INTEGER, 0)).revision;
      await storage.clients.updateClientSecret(operator.id, { expectedSecretDigest: operator.secretDigest!, secretDigest: randomDigest(), previousSecretDigest: null, previousSecretExpiresAt: null, revokeTokens: true });
      assert.deepEqual((await storage.revocations.readChanges(start, 0)).clients, [{ client_id: operator.id, epoch: 1 }]);
      assert.equal((await storage.clients.setClientDisabled(operator.id, true))?.revocationEpoch, 2);
      assert.equal(await storage.clients.deleteClient(operator.id), true);
      assert.deepEqual((await storage.revocations.readChanges(start, 0)).clients, [{ client_id: operator.id, epoch: 3 }]);
      assert.equal(await storage.clients.findClient(operator.id), undefined);
      assert.ok(!(await storage.clients.listOperatorClients()).some((client) => client.id === operator.id));
    });

    it("another process's change to an operator client is seen by the next lookup", async () => {
      const operator = await storage.clients.createClient(newClient(null));
      assert.equal((await storage.clients.findClient(operator.id))?.disabled, false);
      const other = fresh.openAnother();
      await other.clients.setClientDisabled(operator.id, true);
      assert.equal((await storage.clients.findClient(operator.id))?.disabled, true);
      await other.clients.deleteClient(operator.id);
      assert.equal(await storage.clients.findClient(operator.id), undefined);
    });
  });
}
