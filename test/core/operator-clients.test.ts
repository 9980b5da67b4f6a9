/**
 * The admin services for operator clients and gatehouse:admin (issue 14): who may hold the
 * scope, the operator client's fixed shape, the separation between operator and tenant
 * clients, and the audit actions.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../packages/server/src/core/config.js';
import { NotFoundError, ValidationError } from '../../packages/server/src/core/errors.js';
import { toOperatorClientResource } from '../../packages/server/src/core/admin/resources.js';
import { createTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';

describe('admin services: operator clients and gatehouse:admin', () => {
  let t: TestGatehouse;

  before(async () => {
    t = await createTestGatehouse();
    await t.gatehouse.admin.tenants.create({ slug: 'acme' });
  });
  after(() => t.close());

  const admin = () => t.gatehouse.admin;
  const invalid = (pattern: RegExp) => (error: unknown) => error instanceof ValidationError && pattern.test(error.message);

  it('an operator client: confidential, client_credentials only, scope and default scope gatehouse:admin, no tenant', async () => {
    const { client, secret } = await admin().operatorClients.create({ name: 'Automation' });
    assert.ok(secret);
    assert.deepEqual(
      [client.tenantId, client.tenantSlug, client.isPublic, client.grantTypes, client.scopes, client.defaultScopes, client.redirectUris],
      [null, null, false, ['client_credentials'], ['gatehouse:admin'], ['gatehouse:admin'], []],
    );
    const resource = toOperatorClientResource(client);
    assert.deepEqual([resource.tenant, resource.operator, resource.scope], [null, true, 'gatehouse:admin']);
    assert.ok(!JSON.stringify(resource).includes(secret));
    assert.ok((await admin().operatorClients.list()).some((listed) => listed.id === client.id));
    assert.ok(!(await admin().clients.list('acme')).some((listed) => listed.id === client.id));
  });

  it('an operator client has no other scope than gatehouse:admin, nor redirect URIs', async () => {
    await assert.rejects(admin().operatorClients.create({ name: 'Wide', scope: 'gatehouse:admin documents:read' }), invalid(/gatehouse:admin, and nothing else/));
    const { client } = await admin().operatorClients.create({ name: 'Narrow' });
    await assert.rejects(admin().operatorClients.update(client.id, { scope: 'documents:read' }), invalid(/gatehouse:admin/));
    await assert.rejects(admin().operatorClients.update(client.id, { redirectUris: ['https://x.example/cb'] }), invalid(/redirect URIs/));
    const renamed = await admin().operatorClients.update(client.id, { name: 'Renamed', accessTokenTtl: 300 });
    assert.deepEqual([renamed.name, renamed.accessTokenTtl, renamed.scopes], ['Renamed', 300, ['gatehouse:admin']]);
  });

  it("a tenant's client may hold gatehouse:admin only when confidential and client_credentials-only", async () => {
    await assert.rejects(
      admin().clients.create({ tenant: 'acme', name: 'Web', grantTypes: ['client_credentials', 'authorization_code'], scope: 'gatehouse:admin', redirectUris: ['https://x.example/cb'] }),
      invalid(/client_credentials only \(this one also uses authorization_code\)/),
    );
    await assert.rejects(admin().clients.create({ tenant: 'acme', name: 'SPA', isPublic: true, grantTypes: ['implicit'], scope: 'gatehouse:admin' }), invalid(/confidential/));
    await assert.rejects(admin().clients.create({ tenant: 'acme', name: 'Mixed', scope: 'gatehouse:admin documents:read', defaultScope: 'gatehouse:admin documents:read' }), invalid(/must stand alone/));
    const ok = await admin().clients.create({ tenant: 'acme', name: 'Automation', scope: 'gatehouse:admin documents:read', defaultScope: 'documents:read' });
    assert.deepEqual(ok.client.scopes, ['documents:read', 'gatehouse:admin']);

    const web = await admin().clients.create({ tenant: 'acme', name: 'Web', grantTypes: ['authorization_code', 'refresh_token'], scope: 'documents:read', redirectUris: ['https://x.example/cb'] });
    await assert.rejects(admin().clients.update(web.client.id, { scope: 'documents:read gatehouse:admin' }), invalid(/authorization_code, refresh_token/));
    await assert.rejects(admin().clients.update(ok.client.id, { defaultScope: 'gatehouse:admin documents:read' }), invalid(/must stand alone/));
    assert.ok(!(await t.gatehouse.storage.scopes.listScopeNames()).includes('gatehouse:admin'), 'never in a catalogue');
  });

  it("gatehouse:admin is in no tenant's catalogue, and no deployment's document API audience", async () => {
    await assert.rejects(admin().scopes.create({ tenant: 'acme', name: 'gatehouse:admin', description: 'Administer' }), invalid(/admin API's own scope/));
    assert.throws(() => loadConfig({ issuer: 'https://auth.example.com', audience: 'https://auth.example.com/admin/api' }), invalid(/admin API's own audience/));
  });

  it("the operator-client service never reaches a tenant's client", async () => {
    const { client } = await admin().clients.create({ tenant: 'acme', name: 'Tenant client' });
    for (const call of [
      () => admin().operatorClients.get(client.id),
      () => admin().operatorClients.update(client.id, { name: 'x' }),
      () => admin().operatorClients.rotateSecret(client.id),
      () => admin().operatorClients.disable(client.id),
      () => admin().operatorClients.enable(client.id),
      () => admin().operatorClients.delete(client.id),
    ]) {
      await assert.rejects(call(), NotFoundError);
    }
    assert.equal((await admin().clients.get(client.id)).disabled, false, 'left alone');
  });

  it('operations on an operator client are audited as operator_client.* with no tenant', async () => {
    const actor = t.gatehouse.adminAs('ops@example.com');
    const { client, secret } = await actor.operatorClients.create({ name: 'Audited' });
    await actor.operatorClients.update(client.id, { name: 'Audited 2' });
    const rotated = await actor.operatorClients.rotateSecret(client.id);
    await actor.operatorClients.disable(client.id);
    await actor.operatorClients.enable(client.id);
    await actor.operatorClients.delete(client.id);
    const { events } = await t.gatehouse.audit.list({ actor: 'ops@example.com' });
    assert.deepEqual(
      events.map((event) => [event.action, event.tenant, event.target, event.outcome]).reverse(),
      ['create', 'update', 'rotate_secret', 'disable', 'enable', 'delete'].map((verb) => [`operator_client.${verb}`, null, client.id, 'success']),
    );
    for (const value of [secret!, rotated.secret]) assert.ok(!JSON.stringify(events).includes(value), 'no secret in the audit log');
  });
});
