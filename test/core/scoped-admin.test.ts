/**
 * The access rules of the admin surfaces (core/admin/scoped.ts), without HTTP: what an
 * operator and a tenant principal may reach, on real services over a SQLite file. The
 * admin API tests (test/server/admin-api/) check the same rules through HTTP.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createScopedAdmin, paginate, type ScopedAdmin } from '../../packages/server/src/core/admin/index.js';
import type { AdminPrincipal } from '../../packages/server/src/core/admin/principal.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../../packages/server/src/core/errors.js';
import { rejectsWith } from '../helpers/assertions.js';
import { createTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';

describe('scoped admin: the access rules the admin API and the dashboard share', () => {
  let t: TestGatehouse;
  let operator: ScopedAdmin;
  let acme: ScopedAdmin;
  let acmeClientOfGlobex: string;
  let globexClient: string;
  let resourceServer: string;

  const as = (principal: AdminPrincipal) => createScopedAdmin({ admin: t.gatehouse.adminAs(principal.actor), audit: t.gatehouse.audit }, principal);

  before(async () => {
    t = await createTestGatehouse();
    operator = as({ kind: 'operator', actor: 'op-client' });
    acme = as({ kind: 'tenant', tenant: 'acme', actor: 'acme-admin-client' });
    await operator.createTenant({ slug: 'acme', name: 'Acme' });
    await operator.createTenant({ slug: 'globex', name: 'Globex' });
    acmeClientOfGlobex = (await acme.createClient('acme', { name: 'Acme app' })).client.id;
    globexClient = (await operator.createClient('globex', { name: 'Globex app' })).client.id;
    resourceServer = (await operator.createClient('acme', { name: 'Document API', resourceServer: true })).client.id;
  });
  after(() => t.close());

  it('a tenant principal lists, reads and renames its own tenant only; another tenant is 404, creating or disabling one 403', async () => {
    assert.deepEqual((await acme.listTenants()).items.map((tenant) => tenant.slug), ['acme']);
    assert.deepEqual((await operator.listTenants()).items.map((tenant) => tenant.slug), ['acme', 'globex']);
    await rejectsWith(acme.getTenant('globex'), NotFoundError);
    await rejectsWith(acme.getTenant('nowhere'), NotFoundError);
    await rejectsWith(acme.updateTenant('globex', { name: 'Mine' }), NotFoundError);
    await rejectsWith(acme.createTenant({ slug: 'mine' }), ForbiddenError);
    await rejectsWith(acme.updateTenant('acme', { disabled: true }), ForbiddenError);
    await rejectsWith(acme.deleteTenant('acme'), ForbiddenError);
    await rejectsWith(acme.deleteTenant('globex'), NotFoundError);
    assert.equal((await acme.updateTenant('acme', { name: 'Acme Corp' })).name, 'Acme Corp');
    assert.equal((await acme.getTenant('acme')).disabled, false);
  });

  it('a client is reached through its own tenant only: another tenant\'s client is 404 even for an operator on the wrong path', async () => {
    await rejectsWith(acme.getClient('acme', globexClient), NotFoundError);
    await rejectsWith(acme.getClient('globex', globexClient), NotFoundError);
    await rejectsWith(acme.updateClient('acme', globexClient, { name: 'Hijacked' }), NotFoundError);
    await rejectsWith(acme.deleteClient('acme', globexClient), NotFoundError);
    await rejectsWith(acme.rotateClientSecret('acme', globexClient), NotFoundError);
    await rejectsWith(operator.getClient('acme', globexClient), NotFoundError);
    assert.equal((await operator.getClient('globex', globexClient)).name, 'Globex app');
    assert.equal((await acme.getClient('acme', acmeClientOfGlobex)).name, 'Acme app');
  });

  it('resource-server clients are for operators: a tenant principal neither registers, lists nor reaches one', async () => {
    await rejectsWith(acme.createClient('acme', { name: 'Sneaky', resourceServer: true }), ForbiddenError);
    assert.ok(!(await acme.listClients('acme')).items.some((client) => client.id === resourceServer));
    assert.ok((await operator.listClients('acme')).items.some((client) => client.id === resourceServer));
    await rejectsWith(acme.getClient('acme', resourceServer), ForbiddenError);
    await rejectsWith(acme.rotateClientSecret('acme', resourceServer), ForbiddenError);
  });

  it('updates a client and disables it in one change, recorded as the principal\'s actor', async () => {
    const updated = await acme.updateClient('acme', acmeClientOfGlobex, { name: 'Renamed', grantTypes: ['client_credentials'], disabled: true });
    assert.deepEqual([updated.name, updated.disabled], ['Renamed', true]);
    const { events } = await t.gatehouse.audit.list({ actor: 'acme-admin-client', limit: 100 });
    assert.ok(events.some((event) => event.action === 'client.update' && event.target === acmeClientOfGlobex));
    assert.ok(events.some((event) => event.action === 'client.disable' && event.target === acmeClientOfGlobex));
    assert.equal((await acme.updateClient('acme', acmeClientOfGlobex, { disabled: false })).disabled, false);
  });

  it('users: a tenant principal reaches its members only, sees only its own tenant among their memberships, and cannot change a user shared with another tenant', async () => {
    await operator.createUser('globex', { username: 'gina', password: 'correct horse battery' });
    await operator.createUser('acme', { username: 'sam', password: 'correct horse battery' });
    await operator.addUserToTenant('globex', 'sam');
    await acme.createUser('acme', { username: 'ann', password: 'correct horse battery' });

    await rejectsWith(acme.getUser('gina'), NotFoundError);
    await rejectsWith(acme.updateUser('gina', { disabled: true }), NotFoundError);
    await rejectsWith(acme.deleteUser('gina'), NotFoundError);
    await rejectsWith(acme.listGrants('gina'), NotFoundError);
    await rejectsWith(acme.listUsers('globex'), NotFoundError);

    assert.deepEqual((await acme.getUser('sam')).tenants.map((tenant) => tenant.slug), ['acme']);
    assert.deepEqual((await operator.getUser('sam')).tenants.map((tenant) => tenant.slug), ['acme', 'globex']);
    assert.deepEqual((await acme.listUsers('acme')).items.map((user) => [user.username, user.tenants.map((tenant) => tenant.slug)]), [['ann', ['acme']], ['sam', ['acme']]]);
    await rejectsWith(acme.updateUser('sam', { password: 'another long password' }), ForbiddenError);
    await rejectsWith(acme.deleteUser('sam'), ForbiddenError);
    assert.equal((await operator.updateUser('sam', { disabled: true })).disabled, true);

    assert.equal((await acme.updateUser('ann', { disabled: true })).disabled, true);
    assert.equal((await acme.deleteUser('ann')).username, 'ann');
    await rejectsWith(operator.getUser('ann'), NotFoundError);
  });

  it("a tenant principal cannot attach another tenant's user (as unknown as a user that does not exist); an operator can", async () => {
    await operator.createUser('globex', { username: 'gwen', password: 'correct horse battery' });
    const outside = await acme.addUserToTenant('acme', 'gwen').then(() => undefined, (error: unknown) => error);
    const unknown = await acme.addUserToTenant('acme', 'nobody-at-all').then(() => undefined, (error: unknown) => error);
    assert.ok(outside instanceof NotFoundError && unknown instanceof NotFoundError);
    assert.equal(outside.message.replace('gwen', 'X'), unknown.message.replace('nobody-at-all', 'X'), 'the same answer: nothing to learn about usernames');
    assert.deepEqual((await operator.getUser('gwen')).tenants.map((tenant) => tenant.slug), ['globex'], 'globex keeps gwen to itself');
    await acme.createUser('acme', { username: 'abe', password: 'correct horse battery' });
    assert.equal((await acme.addUserToTenant('acme', 'abe')).added, false, 'its own member: nothing to add');
    assert.equal((await operator.addUserToTenant('acme', 'gwen')).added, true);
  });

  it("a tenant principal's actions on its users are in its tenant's audit log", async () => {
    await acme.createUser('acme', { username: 'cora', password: 'correct horse battery' });
    await acme.updateUser('cora', { password: 'another long password' });
    await acme.updateUser('cora', { disabled: true });
    await acme.deleteUser('cora');
    const { events } = await t.gatehouse.audit.list({ tenant: 'acme', actor: 'acme-admin-client', limit: 100 });
    const ofCora = events.filter((event) => event.target === 'cora').map((event) => event.action).sort();
    assert.deepEqual(ofCora, ['user.create', 'user.delete', 'user.disable', 'user.set_password']);
  });

  it("grants: a tenant principal sees and revokes its tenant's grants of a member only", async () => {
    const user = await operator.createUser('acme', { username: 'gus', password: 'correct horse battery' });
    await operator.addUserToTenant('globex', 'gus');
    const now = Date.now();
    const grant = (clientId: string, tenants: string[]) =>
      t.gatehouse.storage.grants.createGrant({ id: randomUUID(), clientId, userId: user.id, codeDigest: randomUUID(), scope: ['a'], tenants, createdAt: now, absoluteExpiresAt: now + 3_600_000 });
    const ours = await grant(acmeClientOfGlobex, ['acme']);
    const theirs = await grant(globexClient, ['globex']);
    assert.deepEqual((await acme.listGrants('gus')).items.map((view) => view.grant.id), [ours.id]);
    assert.equal((await operator.listGrants('gus')).items.length, 2);
    await rejectsWith(acme.revokeGrant('gus', theirs.id), NotFoundError);
    await rejectsWith(acme.revokeGrant('gus', randomUUID()), NotFoundError);
    assert.equal((await acme.revokeGrant('gus', ours.id)).revoked, true);
  });

  it("deleting a user revokes its grants and forgets its consents before erasing it; the username is free again", async () => {
    const user = await acme.createUser('acme', { username: 'della', password: 'correct horse battery' });
    const now = Date.now();
    const grant = await t.gatehouse.storage.grants.createGrant({
      id: randomUUID(), clientId: acmeClientOfGlobex, userId: user.id, codeDigest: randomUUID(), scope: ['a'], tenants: ['acme'], createdAt: now, absoluteExpiresAt: now + 3_600_000,
    });
    await t.gatehouse.storage.consents.saveConsent({ userId: user.id, clientId: acmeClientOfGlobex, scopes: ['a'], tenants: ['acme'] });
    await acme.deleteUser('Della');
    assert.notEqual((await t.gatehouse.storage.grants.findGrant(grant.id))?.revokedAt ?? null, null);
    assert.equal(await t.gatehouse.storage.consents.findConsent(user.id, acmeClientOfGlobex), undefined);
    await rejectsWith(acme.getUser('della'), NotFoundError);
    const { events } = await t.gatehouse.audit.list({ action: 'user.delete', limit: 10 });
    assert.deepEqual(events.filter((event) => event.target === 'della').map((event) => [event.actor, event.outcome]), [['acme-admin-client', 'success']]);
    assert.notEqual((await acme.createUser('acme', { username: 'della', password: 'correct horse battery' })).id, user.id);
  });

  it('signing keys are operator-only', async () => {
    await rejectsWith(acme.listKeys(), ForbiddenError);
    await rejectsWith(acme.rotateKey(), ForbiddenError);
    await rejectsWith(acme.withdrawKey('any'), ForbiddenError);
    assert.ok((await operator.listKeys()).items.length >= 1);
  });

  it("the audit log: a tenant principal sees its tenant's events only; asking for another tenant is 404", async () => {
    const { events } = await acme.listAuditEvents({ limit: 1000 });
    assert.ok(events.length > 0);
    assert.ok(events.every((event) => event.tenant === 'acme'));
    await rejectsWith(acme.listAuditEvents({ tenant: 'globex' }), NotFoundError);
    const all = await operator.listAuditEvents({ limit: 1000 });
    assert.ok(all.events.some((event) => event.tenant === 'globex'));
  });
});

describe('pages of the admin lists', () => {
  const items = Array.from({ length: 7 }, (_, index) => ({ id: `item-${index}` }));

  it('follows `next` to the end, each item once, in key order', () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page += 1) {
      const { items: got, next } = paginate([...items].reverse(), (item) => item.id, { limit: 3, cursor });
      seen.push(...got.map((item) => item.id));
      if (next === null) break;
      cursor = next;
    }
    assert.deepEqual(seen, items.map((item) => item.id));
  });

  it('refuses a bad limit or cursor, naming the field', () => {
    for (const [request, field] of [[{ limit: 0 }, 'limit'], [{ limit: 1001 }, 'limit'], [{ cursor: '!!' }, 'cursor'], [{ cursor: 'a' }, 'cursor']] as const) {
      assert.throws(() => paginate(items, (item) => item.id, request), (error: unknown) => error instanceof ValidationError && error.field === field);
    }
  });
});
