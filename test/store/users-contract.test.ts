/**
 * The UserStore contract and ScopeStore.upsertScope (src/core/storage.ts), on every
 * backend in STORAGE_TARGETS: SQLite always, PostgreSQL when GATEHOUSE_TEST_POSTGRES_URL
 * is set.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { ConflictError, NotFoundError, StorageUnavailableError } from '../../packages/server/src/core/errors.js';
import type { NewUser } from '../../packages/server/src/core/storage.js';
import type { Tenant, User } from '../../packages/server/src/core/types.js';
import type { SqlStorage } from '../../packages/server/src/store/sql/index.js';
import { rejectsWith } from '../helpers/assertions.js';
import { STORAGE_TARGETS } from '../helpers/postgres.js';
import { openFreshStorage, uniqueId, type FreshStorage } from '../helpers/storage.js';

const T0 = Date.UTC(2026, 0, 15, 9, 30);

function assertOneWinner(outcomes: PromiseSettledResult<unknown>[] | undefined, what: string): void {
  assert.ok(outcomes);
  const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
  const lost = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  assert.equal(won.length, 1, `${what}: exactly one creation succeeds`);
  for (const failure of lost) assert.ok(failure.reason instanceof ConflictError, `${what}: expected ConflictError, got ${String(failure.reason)}`);
}

/** A username no other test run uses, in the dotted shape of a real one. */
const uniqueName = (prefix: string) => uniqueId(prefix, '.');
const fakeHash = () => `scrypt$v1$N=32768,r=8,p=1$${randomBytes(16).toString('base64url')}$${randomBytes(64).toString('base64url')}`;

for (const target of STORAGE_TARGETS) {
  describe(`user store contract (${target.name})`, { skip: target.skip }, () => {
    let fresh: FreshStorage;
    let url: string;
    let storage: SqlStorage;
    let now = T0;
    let tenantA: Tenant;
    let tenantB: Tenant;
    let tenantC: Tenant;

    const newUser = (overrides: Partial<NewUser> = {}): NewUser => ({ username: uniqueName('User'), passwordHash: fakeHash(), tenantIds: [tenantA.id], ...overrides });

    before(async () => {
      fresh = await openFreshStorage(target, { prefix: 'users', clock: () => now });
      ({ storage, url } = fresh);
      tenantA = await storage.tenants.createTenant({ slug: 'tenant-a', name: 'A', accessTokenTtl: null });
      tenantB = await storage.tenants.createTenant({ slug: 'tenant-b', name: 'B', accessTokenTtl: null });
      tenantC = await storage.tenants.createTenant({ slug: 'tenant-c', name: 'C', accessTokenTtl: null });
    });
    after(() => fresh?.close());

    it('createUser returns an enabled user of its tenants, epoch 0, created now; findUser and findUserByUsername round-trip it', async () => {
      now = T0 + 1_000;
      const input = newUser({ username: 'Grace.Hopper@example.com', tenantIds: [tenantB.id, tenantA.id] });
      const created = await storage.users.createUser(input);
      const expected = {
        id: created.id,
        username: 'Grace.Hopper@example.com',
        disabled: false,
        tenants: [
          { id: tenantA.id, slug: 'tenant-a' },
          { id: tenantB.id, slug: 'tenant-b' },
        ],
        revocationEpoch: 0,
        createdAt: T0 + 1_000,
        updatedAt: T0 + 1_000,
      };
      assert.deepEqual(created, expected);
      assert.match(created.id, /^[0-9a-f-]{36}$/, 'ids are generated in TypeScript (UUIDs)');
      assert.deepEqual(await storage.users.findUser(created.id), expected, 'findUser carries no password hash');
      assert.deepEqual(await storage.users.findUserByUsername('Grace.Hopper@example.com'), { ...expected, passwordHash: input.passwordHash });
      assert.equal(await storage.users.findUser(randomUUID()), undefined);
      assert.equal(await storage.users.findUserByUsername('nobody-at-all'), undefined);
    });

    it('findUserByUsername ignores letter case and keeps the username as created', async () => {
      const created = await storage.users.createUser(newUser({ username: 'MixedCase.User' }));
      for (const variant of ['MixedCase.User', 'mixedcase.user', 'MIXEDCASE.USER', 'mIXEDcASE.uSER']) {
        const found = await storage.users.findUserByUsername(variant);
        assert.equal(found?.id, created.id, variant);
        assert.equal(found?.username, 'MixedCase.User');
      }
      assert.equal(await storage.users.findUserByUsername('MixedCase.Use'), undefined, 'no prefix match');
      assert.equal(await storage.users.findUserByUsername('MixedCase_User'), undefined, 'no LIKE wildcard match');
    });

    it('a username taken in another letter case fails with ConflictError and writes nothing', async () => {
      const original = await storage.users.createUser(newUser({ username: 'Taken.Name' }));
      const originalHash = (await storage.users.findUserByUsername('Taken.Name'))!.passwordHash;
      for (const username of ['Taken.Name', 'taken.name', 'TAKEN.NAME']) {
        await rejectsWith(storage.users.createUser(newUser({ username, tenantIds: [tenantC.id] })), ConflictError);
      }
      const found = await storage.users.findUserByUsername('taken.name');
      assert.equal(found?.id, original.id);
      assert.equal(found?.passwordHash, originalHash, 'the first password stays');
      assert.deepEqual(found?.tenants.map((t) => t.slug), ['tenant-a'], 'the failed creations added no membership');
      assert.ok(!(await storage.users.listUsers(tenantC.id)).some((user) => user.username.toLowerCase() === 'taken.name'));
    });

    it('createUser in a tenant that does not exist fails with NotFoundError and writes nothing', async () => {
      const username = uniqueName('ghost');
      await rejectsWith(storage.users.createUser(newUser({ username, tenantIds: [tenantA.id, randomUUID()] })), NotFoundError);
      assert.equal(await storage.users.findUserByUsername(username), undefined, 'the user row rolled back with the membership');
      const again = await storage.users.createUser(newUser({ username }));
      assert.equal(again.username, username, 'the username is still free');
    });

    it('addUserToTenant is idempotent: true, then false; memberships are listed by slug', async () => {
      const user = await storage.users.createUser(newUser({ tenantIds: [tenantC.id] }));
      now = T0 + 5_000;
      assert.equal(await storage.users.addUserToTenant(user.id, tenantA.id), true);
      assert.equal(await storage.users.addUserToTenant(user.id, tenantA.id), false);
      assert.equal(await storage.users.addUserToTenant(user.id, tenantC.id), false, 'the first tenant counts too');
      const found = await storage.users.findUser(user.id);
      assert.deepEqual(found?.tenants, [
        { id: tenantA.id, slug: 'tenant-a' },
        { id: tenantC.id, slug: 'tenant-c' },
      ]);
    });

    it('addUserToTenant fails with NotFoundError for an unknown user or tenant, and adds nothing', async () => {
      const user = await storage.users.createUser(newUser());
      await rejectsWith(storage.users.addUserToTenant(user.id, randomUUID()), NotFoundError);
      await rejectsWith(storage.users.addUserToTenant(randomUUID(), tenantB.id), NotFoundError);
      assert.deepEqual((await storage.users.findUser(user.id))?.tenants.map((t) => t.slug), ['tenant-a']);
    });

    it("removeUserFromTenant ends a membership, but never the user's last one; not_member otherwise", async () => {
      const user = await storage.users.createUser(newUser({ tenantIds: [tenantA.id, tenantB.id] }));
      assert.equal(await storage.users.removeUserFromTenant(user.id, tenantC.id), 'not_member');
      assert.equal(await storage.users.removeUserFromTenant(randomUUID(), tenantA.id), 'not_member');
      assert.equal(await storage.users.removeUserFromTenant(user.id, tenantB.id), 'removed');
      assert.deepEqual((await storage.users.findUser(user.id))?.tenants.map((t) => t.slug), ['tenant-a']);
      assert.equal(await storage.users.removeUserFromTenant(user.id, tenantB.id), 'not_member');
      assert.equal(await storage.users.removeUserFromTenant(user.id, tenantA.id), 'last_tenant');
      assert.deepEqual((await storage.users.findUser(user.id))?.tenants.map((t) => t.slug), ['tenant-a']);
    });

    it('deleteUser erases the user, its memberships and its consents, frees the username, and is false the second time', async () => {
      const user = await storage.users.createUser(newUser({ tenantIds: [tenantA.id, tenantB.id] }));
      const other = await storage.users.createUser(newUser());
      const client = await storage.clients.createClient({
        id: uniqueId('client'), tenantId: tenantA.id, name: 'App', isPublic: false, secretDigest: null, grantTypes: ['authorization_code'],
        scopes: ['a'], defaultScopes: [], redirectUris: [], accessTokenTtl: null, resourceServer: false,
      });
      await storage.consents.saveConsent({ userId: user.id, clientId: client.id, scopes: ['a'], tenants: ['tenant-a'] });
      await storage.consents.saveConsent({ userId: other.id, clientId: client.id, scopes: ['a'], tenants: ['tenant-a'] });
      assert.equal(await storage.users.deleteUser(user.id), true);
      assert.equal(await storage.users.findUser(user.id), undefined);
      assert.equal(await storage.users.findUserByUsername(user.username), undefined);
      assert.ok(!(await storage.users.listUsers(tenantB.id)).some((listed) => listed.id === user.id));
      assert.equal(await storage.consents.findConsent(user.id, client.id), undefined);
      assert.ok(await storage.consents.findConsent(other.id, client.id), "another user's consent stays");
      assert.equal(await storage.users.deleteUser(user.id), false);
      const again = await storage.users.createUser(newUser({ username: user.username }));
      assert.notEqual(again.id, user.id);
    });

    it('of two concurrent removals of a two-tenant user, exactly one succeeds: the user keeps a tenant', async () => {
      const user = await storage.users.createUser(newUser({ tenantIds: [tenantA.id, tenantB.id] }));
      const outcomes = await Promise.all([storage.users.removeUserFromTenant(user.id, tenantA.id), storage.users.removeUserFromTenant(user.id, tenantB.id)]);
      assert.deepEqual([...outcomes].sort(), ['last_tenant', 'removed']);
      assert.equal((await storage.users.findUser(user.id))?.tenants.length, 1);
    });

    it("listUsers lists one tenant's users only, each with all its memberships, sorted ignoring case", async () => {
      const lonely = await storage.tenants.createTenant({ slug: 'lonely', name: 'L', accessTokenTtl: null });
      const other = await storage.tenants.createTenant({ slug: 'other', name: 'O', accessTokenTtl: null });
      assert.deepEqual(await storage.users.listUsers(lonely.id), []);
      const bob = await storage.users.createUser(newUser({ username: 'bob.list', tenantIds: [other.id] }));
      const alice = await storage.users.createUser(newUser({ username: 'Alice.list', tenantIds: [other.id, tenantB.id] }));
      const carol = await storage.users.createUser(newUser({ username: 'Carol.list', tenantIds: [other.id] }));
      const outsider = await storage.users.createUser(newUser({ username: 'Aaron.outsider', tenantIds: [tenantB.id] }));

      const listed = await storage.users.listUsers(other.id);
      assert.deepEqual(
        listed.map((u) => u.username),
        ['Alice.list', 'bob.list', 'Carol.list'],
        'sorted ignoring case (a case-sensitive order would put "Carol" before "bob")',
      );
      assert.deepEqual(listed[0], await storage.users.findUser(alice.id));
      assert.deepEqual(listed[0]!.tenants.map((t) => t.slug), ['other', 'tenant-b'], 'a listed user shows every membership');
      assert.ok(!listed.some((u) => u.id === outsider.id), 'a user of tenant B only is invisible from this tenant');
      assert.ok(listed.every((u) => !('passwordHash' in u)), 'listUsers carries no password hash');
      assert.deepEqual(await storage.users.listUsers(lonely.id), [], 'still empty');

      const fromB = await storage.users.listUsers(tenantB.id);
      assert.ok(fromB.some((u) => u.id === alice.id) && fromB.some((u) => u.id === outsider.id));
      assert.ok(!fromB.some((u) => u.id === bob.id || u.id === carol.id), "tenant B does not see the other tenant's users");
    });

    it('setPassword replaces the hash and the update time only; undefined for an unknown user', async () => {
      now = T0 + 10_000;
      const user = await storage.users.createUser(newUser());
      const replacement = fakeHash();
      now = T0 + 20_000;
      const updated = await storage.users.setPassword(user.id, replacement);
      assert.deepEqual(updated, { ...user, updatedAt: T0 + 20_000 });
      assert.equal((await storage.users.findUserByUsername(user.username))?.passwordHash, replacement);
      assert.equal(await storage.users.setPassword(randomUUID(), replacement), undefined);
    });

    it('setDisabled: disabling raises the revocation epoch by one, enabling leaves it; undefined for an unknown user', async () => {
      const user = await storage.users.createUser(newUser());
      const disabled = await storage.users.setDisabled(user.id, true);
      assert.equal(disabled?.disabled, true);
      assert.equal(disabled?.revocationEpoch, 1);
      assert.equal((await storage.users.findUserByUsername(user.username))?.disabled, true);
      const enabled = await storage.users.setDisabled(user.id, false);
      assert.equal(enabled?.disabled, false);
      assert.equal(enabled?.revocationEpoch, 1, 'tokens revoked by disabling stay revoked');
      assert.equal((await storage.users.setDisabled(user.id, true))?.revocationEpoch, 2);
      assert.equal(await storage.users.setDisabled(randomUUID(), true), undefined);
    });

    it('creating one username several times at once (in different letter cases): exactly one succeeds, the others get ConflictError', async () => {
      // SQLite runs one storage's transactions one after the other, and two storages in one
      // process would block each other's synchronous driver: there, one storage races itself.
      const second = target.name === 'postgres' ? fresh.openAnother() : storage;
      for (let round = 0; round < 5; round += 1) {
        const base = uniqueName('race');
        const outcomes = await Promise.allSettled([
          storage.users.createUser(newUser({ username: base, tenantIds: [tenantA.id] })),
          second.users.createUser(newUser({ username: base.toUpperCase(), tenantIds: [tenantB.id] })),
          storage.users.createUser(newUser({ username: base.toLowerCase(), tenantIds: [tenantC.id] })),
        ]);
        assertOneWinner(outcomes, `round ${round}`);
        const found = await second.users.findUserByUsername(base);
        assert.equal(found?.tenants.length, 1, 'only the winner wrote a membership');
      }
    });

    it(
      'two processes creating one username while its row is being inserted elsewhere: both wait; exactly one succeeds, the other gets ConflictError',
      { skip: target.name === 'postgres' ? false : 'PostgreSQL only: SQLite serialises writers on the whole file' },
      async () => {
        const first = fresh.openAnother();
        const second = fresh.openAnother();
        const username = uniqueName('Blocked');
        const locker = new pg.Client({ connectionString: url });
        const monitor = new pg.Client({ connectionString: url });
        await locker.connect();
        await monitor.connect();
        let calls: Promise<PromiseSettledResult<User>[]> | undefined;
        try {
          // An uncommitted row holding the normalised name: both creations block on the unique index.
          await locker.query('begin');
          await locker.query(
            'insert into users (id, username, username_normalized, password_hash, disabled, revocation_epoch, created_at, updated_at) values ($1, $2, $3, $4, 0, 0, 0, 0)',
            [randomUUID(), username, username.toLowerCase(), fakeHash()],
          );
          calls = Promise.allSettled([
            first.users.createUser(newUser({ username: username.toUpperCase(), tenantIds: [tenantA.id] })),
            second.users.createUser(newUser({ username: username.toLowerCase(), tenantIds: [tenantB.id] })),
          ]);
          const deadline = Date.now() + 10_000;
          for (;;) {
            const { rows } = await monitor.query<{ n: number }>(
              "select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
            );
            if ((rows[0]?.n ?? 0) >= 2) break;
            if (Date.now() > deadline) throw new Error('the two creations did not both block on the uncommitted row within 10 s');
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
        } finally {
          await locker.query('rollback').catch(() => {});
          await locker.end();
          await monitor.end();
        }
        assertOneWinner(await calls, 'after the rollback');
        const found = await storage.users.findUserByUsername(username);
        assert.ok(found, 'the winner is stored');
        assert.equal(found.tenants.length, 1);
      },
    );

    it('a closed storage reports StorageUnavailableError', async () => {
      const closed = fresh.openAnother();
      await closed.ping();
      await closed.close();
      await rejectsWith(closed.users.findUserByUsername('anyone'), StorageUnavailableError);
      await rejectsWith(closed.users.createUser(newUser()), StorageUnavailableError);
      await rejectsWith(closed.users.listUsers(tenantA.id), StorageUnavailableError);
      await rejectsWith(closed.scopes.upsertScope(tenantA.id, 'x', 'y'), StorageUnavailableError);
    });
  });

  describe(`scope catalogue upsert (${target.name})`, { skip: target.skip }, () => {
    let fresh: FreshStorage;
    let storage: SqlStorage;
    let tenantA: Tenant;
    let tenantB: Tenant;

    before(async () => {
      fresh = await openFreshStorage(target, { prefix: 'scopes', clock: () => T0 });
      storage = fresh.storage;
      tenantA = await storage.tenants.createTenant({ slug: 'tenant-a', name: 'A', accessTokenTtl: null });
      tenantB = await storage.tenants.createTenant({ slug: 'tenant-b', name: 'B', accessTokenTtl: null });
    });
    after(() => fresh?.close());

    it('creates a scope, then replaces its description; another tenant keeps its own', async () => {
      assert.deepEqual(await storage.scopes.upsertScope(tenantA.id, 'documents:read', 'Read your documents'), {
        tenantId: tenantA.id,
        name: 'documents:read',
        description: 'Read your documents',
      });
      await storage.scopes.upsertScope(tenantB.id, 'documents:read', 'Lire vos documents « signés »');
      await storage.scopes.upsertScope(tenantA.id, 'documents:read', 'Read and download your documents');
      assert.deepEqual(await storage.scopes.listScopes(tenantA.id), [{ tenantId: tenantA.id, name: 'documents:read', description: 'Read and download your documents' }]);
      assert.deepEqual(await storage.scopes.listScopes(tenantB.id), [{ tenantId: tenantB.id, name: 'documents:read', description: 'Lire vos documents « signés »' }]);
    });

    it('a scope registered by a client (empty description) gets its description', async () => {
      await storage.clients.createClient({
        id: uniqueId('client'),
        tenantId: tenantA.id,
        name: 'C',
        isPublic: false,
        secretDigest: 'd',
        grantTypes: ['client_credentials'],
        scopes: ['documents:write'],
        defaultScopes: [],
        redirectUris: [],
        accessTokenTtl: null,
        resourceServer: false,
      });
      assert.equal((await storage.scopes.listScopes(tenantA.id)).find((s) => s.name === 'documents:write')?.description, '');
      await storage.scopes.upsertScope(tenantA.id, 'documents:write', 'Upload and change your documents');
      assert.equal((await storage.scopes.listScopes(tenantA.id)).find((s) => s.name === 'documents:write')?.description, 'Upload and change your documents');
    });

    it('fails with NotFoundError for a tenant that does not exist', async () => {
      const ghost = randomUUID();
      await rejectsWith(storage.scopes.upsertScope(ghost, 'x', 'y'), NotFoundError);
      assert.deepEqual(await storage.scopes.listScopes(ghost), []);
    });
  });
}
