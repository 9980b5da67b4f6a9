/**
 * Issue 16 (Medium): disabling a client, a tenant or a user revokes its live grants in the
 * transaction that disables it (ClientStore.setClientDisabled, TenantStore.setTenantDisabled,
 * UserStore.setDisabled), under the revocation revision of that transaction, and enabling
 * brings none back; an operator's password reset ends the user's sessions in the
 * transaction that replaces the hash (UserStore.setPassword with endSessions). Against
 * every backend in STORAGE_TARGETS: SQLite always, PostgreSQL when
 * GATEHOUSE_TEST_POSTGRES_URL is set.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { NewClient } from '../../packages/server/src/core/storage.js';
import type { SqlStorage } from '../../packages/server/src/store/sql/index.js';
import { STORAGE_TARGETS } from '../helpers/postgres.js';
import { openFreshStorage, randomDigest, uniqueId, type FreshStorage } from '../helpers/storage.js';

const T0 = Date.UTC(2026, 0, 15, 9, 30);
const DAY = 24 * 60 * 60 * 1000;

for (const target of STORAGE_TARGETS) {
  describe(`disabling revokes grants for good: store contract (${target.name})`, { skip: target.skip }, () => {
    let fresh: FreshStorage;
    let storage: SqlStorage;
    let now = T0;

    before(async () => {
      fresh = await openFreshStorage(target, { prefix: 'disable-grants', clock: () => now });
      storage = fresh.storage;
    });
    after(() => fresh?.close());

    const newTenant = async () => (await storage.tenants.createTenant({ slug: uniqueId('t'), name: 'T', accessTokenTtl: null }));
    const newClient = async (tenantId: string): Promise<string> => {
      const input: NewClient = {
        id: uniqueId('client'), tenantId, name: 'App', isPublic: true, secretDigest: null, grantTypes: ['authorization_code', 'refresh_token'],
        scopes: ['a'], defaultScopes: [], redirectUris: ['https://app.example.com/cb'], accessTokenTtl: null, resourceServer: false,
      };
      return (await storage.clients.createClient(input)).id;
    };
    const newGrant = async (clientId: string, userId: string = randomUUID()) =>
      storage.grants.createGrant({
        id: randomUUID(), clientId, userId, codeDigest: randomDigest(), scope: ['a'], tenants: [], createdAt: now, absoluteExpiresAt: now + 90 * DAY,
        refreshToken: { id: randomUUID(), tokenDigest: randomDigest(), idleExpiresAt: now + 14 * DAY },
      });
    const revokedAt = async (grantId: string) => (await storage.grants.findGrant(grantId))?.revokedAt;
    const revision = async () => (await storage.revocations.readChanges(Number.MAX_SAFE_INTEGER, 0)).revision;

    it("setClientDisabled(true) revokes the client's live grants, on the feed; enabling leaves them revoked; other clients keep theirs", async () => {
      const tenant = await newTenant();
      const [clientId, otherId] = [await newClient(tenant.id), await newClient(tenant.id)];
      const [one, two, other] = [await newGrant(clientId), await newGrant(clientId), await newGrant(otherId)];
      const before = await revision();
      now = T0 + 1000;
      assert.equal((await storage.clients.setClientDisabled(clientId, true))?.disabled, true);
      assert.deepEqual([await revokedAt(one.id), await revokedAt(two.id), await revokedAt(other.id)], [T0 + 1000, T0 + 1000, null]);
      const changes = await storage.revocations.readChanges(before, 0);
      assert.equal(changes.revision, before + 1, 'the epoch and the grants share the revision of the disabling');
      assert.deepEqual([...changes.grants].sort(), [one.id, two.id].sort());
      assert.equal((await storage.clients.setClientDisabled(clientId, false))?.disabled, false);
      assert.equal(await revokedAt(one.id), T0 + 1000, 'enabling brings no grant back');
      assert.equal(await revision(), before + 1, 'enabling revokes nothing');
      // A grant made after the enable lives.
      assert.equal(await revokedAt((await newGrant(clientId)).id), null);
    });

    it("setTenantDisabled(true) revokes the live grants of the tenant's clients only; enabling leaves them revoked", async () => {
      const [tenant, otherTenant] = [await newTenant(), await newTenant()];
      const [mine, theirs] = [await newGrant(await newClient(tenant.id)), await newGrant(await newClient(otherTenant.id))];
      now = T0 + 2000;
      assert.ok(await storage.tenants.setTenantDisabled(tenant.slug, true));
      assert.deepEqual([await revokedAt(mine.id), await revokedAt(theirs.id)], [T0 + 2000, null]);
      assert.ok(await storage.tenants.setTenantDisabled(tenant.slug, false));
      assert.equal(await revokedAt(mine.id), T0 + 2000);
    });

    it("setDisabled(true) revokes the user's live grants under one new revision and ends its sessions; enabling brings neither back", async () => {
      const tenant = await newTenant();
      const clientId = await newClient(tenant.id);
      const user = await storage.users.createUser({ username: uniqueId('u'), passwordHash: 'x', tenantIds: [tenant.id] });
      const other = await storage.users.createUser({ username: uniqueId('u'), passwordHash: 'x', tenantIds: [tenant.id] });
      const [grant, kept] = [await newGrant(clientId, user.id), await newGrant(clientId, other.id)];
      const session = { tokenDigest: randomDigest(), kind: 'user' as const, createdAt: now, idleExpiresAt: now + DAY, absoluteExpiresAt: now + DAY };
      await storage.sessions.createSession({ ...session, id: randomUUID(), subjectId: user.id });
      const otherSession = { ...session, id: randomUUID(), tokenDigest: randomDigest(), subjectId: other.id };
      await storage.sessions.createSession(otherSession);
      const before = await revision();
      now = T0 + 3000;
      assert.equal((await storage.users.setDisabled(user.id, true))?.disabled, true);
      assert.deepEqual([await revokedAt(grant.id), await revokedAt(kept.id)], [T0 + 3000, null]);
      assert.deepEqual((await storage.revocations.readChanges(before, 0)).grants, [grant.id]);
      assert.equal(await storage.sessions.findSession(session.tokenDigest, now), undefined);
      assert.ok(await storage.sessions.findSession(otherSession.tokenDigest, now));
      await storage.users.setDisabled(user.id, false);
      assert.equal(await revokedAt(grant.id), T0 + 3000);
    });

    it('setPassword with endSessions ends every session of the user with the change; without, the sessions stay', async () => {
      const tenant = await newTenant();
      const user = await storage.users.createUser({ username: uniqueId('u'), passwordHash: 'x', tenantIds: [tenant.id] });
      const session = { id: randomUUID(), tokenDigest: randomDigest(), kind: 'user' as const, subjectId: user.id, createdAt: now, idleExpiresAt: now + DAY, absoluteExpiresAt: now + DAY };
      await storage.sessions.createSession(session);
      assert.ok(await storage.users.setPassword(user.id, 'y'));
      assert.ok(await storage.sessions.findSession(session.tokenDigest, now), 'a plain setPassword (the /account change) leaves the sessions to its caller');
      assert.ok(await storage.users.setPassword(user.id, 'z', { endSessions: true }));
      assert.equal(await storage.sessions.findSession(session.tokenDigest, now), undefined);
      assert.equal(await storage.users.setPassword(randomUUID(), 'z', { endSessions: true }), undefined);
    });
  });
}
