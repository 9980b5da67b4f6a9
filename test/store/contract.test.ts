/**
 * The storage contract (src/core/storage.ts), run against every backend in
 * STORAGE_TARGETS: SQLite always, PostgreSQL when GATEHOUSE_TEST_POSTGRES_URL is set.
 * Each describe block opens its own empty database, so no test depends on the data of
 * another block.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { ConflictError, StorageUnavailableError } from '../../packages/server/src/core/errors.js';
import { generateSigningKey } from '../../packages/server/src/core/keys.js';
import type { NewClient } from '../../packages/server/src/core/storage.js';
import type { Client, SigningKey, Tenant } from '../../packages/server/src/core/types.js';
import { MIGRATION_NAMES } from '../../packages/server/src/store/sql/migrations/index.js';
import type { SqlStorage } from '../../packages/server/src/store/sql/index.js';
import { rejectsWith } from '../helpers/assertions.js';
import { SQLITE_TARGET, STORAGE_TARGETS } from '../helpers/postgres.js';
import { withRowLock } from '../helpers/row-lock.js';
import { closeFreshStorages, openFreshStorage, uniqueId, type FreshStorage } from '../helpers/storage.js';

/** Every migration, in order: an empty database gets all of them. */
const ALL_MIGRATIONS = [...MIGRATION_NAMES];
const T0 = Date.UTC(2026, 0, 15, 9, 30);

/** A NewClient with every field set to a non-default value, so a dropped field shows. */
function newClient(tenantId: string, overrides: Partial<NewClient> = {}): NewClient {
  return {
    id: uniqueId('client'),
    tenantId,
    name: 'Invoice sync',
    isPublic: false,
    secretDigest: `digest-${randomBytes(4).toString('hex')}`,
    grantTypes: ['client_credentials'],
    scopes: ['documents:read'],
    defaultScopes: ['documents:read'],
    redirectUris: [],
    accessTokenTtl: null,
    resourceServer: false,
    ...overrides,
  };
}

/** A storage on its own database, with the URL it was opened on, what migrate() applied and a way to open a second one. */
type OpenedStorage = SqlStorage & Pick<FreshStorage, 'url' | 'migrationsApplied' | 'openAnother'>;

for (const target of STORAGE_TARGETS) {
  describe(`storage contract (${target.name})`, { skip: target.skip }, () => {
    let now = T0;
    const clock = () => now;
    const opened: FreshStorage[] = [];

    /** A storage on an empty database of this target, migrated or not. */
    async function openOnEmptyDatabase(migrate: boolean): Promise<OpenedStorage> {
      const fresh = await openFreshStorage(target, { prefix: 'contract', clock, migrate });
      opened.push(fresh);
      return Object.assign(fresh.storage, { url: fresh.url, migrationsApplied: fresh.migrationsApplied, openAnother: fresh.openAnother });
    }

    /** A storage on an empty database of this target, not migrated yet. */
    const openEmpty = () => openOnEmptyDatabase(false);

    /** A fresh, migrated storage on an empty database of this target. */
    const openFresh = () => openOnEmptyDatabase(true);

    /** A second storage (another process, as it were) on the database of `storage`, with the same clock. */
    const openAgain = (storage: OpenedStorage): SqlStorage => storage.openAnother();

    async function openTenant(storage: SqlStorage, input: Partial<Parameters<SqlStorage['tenants']['createTenant']>[0]> = {}): Promise<Tenant> {
      return storage.tenants.createTenant({ slug: uniqueId('tenant'), name: 'Acme Documents', accessTokenTtl: null, ...input });
    }

    after(() => closeFreshStorages(opened));

    describe('migrations', () => {
      it('applies the initial migration to an empty database, then nothing on a second call', async () => {
        const storage = await openFresh();
        assert.deepEqual(storage.migrationsApplied, ALL_MIGRATIONS);
        assert.deepEqual(await storage.migrate(), []);
      });

      it('applies nothing when a second process opens an already migrated database', async () => {
        const first = await openFresh();
        const tenant = await openTenant(first, { slug: 'kept-across-opens' });
        const second = openAgain(first);
        assert.deepEqual(await second.migrate(), []);
        assert.deepEqual(await second.tenants.findTenantBySlug('kept-across-opens'), tenant, 'migrating again keeps the data');
      });

      it('migrationStatus lists the initial migration as pending on an empty database, and changes nothing', async () => {
        const storage = await openEmpty();
        const tablesBefore = (await storage.db.introspection.getTables({ withInternalKyselyTables: true })).map((table) => table.name);
        assert.deepEqual(tablesBefore, [], 'the database starts empty');
        assert.deepEqual(await storage.migrationStatus(), { applied: [], pending: ALL_MIGRATIONS });
        assert.deepEqual(await storage.migrationStatus(), { applied: [], pending: ALL_MIGRATIONS }, 'asking twice gives the same answer');
        assert.deepEqual(
          (await storage.db.introspection.getTables({ withInternalKyselyTables: true })).map((table) => table.name),
          tablesBefore,
          'no table was created',
        );
        assert.deepEqual(await storage.migrate(), ALL_MIGRATIONS, 'the migration is still pending and applies');
        const tablesAfter = (await storage.db.introspection.getTables({ withInternalKyselyTables: true })).map((table) => table.name);
        assert.ok(tablesAfter.includes('kysely_migration') && tablesAfter.includes('settings'), 'the table listing above does see tables');
      });

      it('migrationStatus lists the initial migration as applied after migrate(), also to a second process', async () => {
        const storage = await openEmpty();
        await storage.migrate();
        assert.deepEqual(await storage.migrationStatus(), { applied: ALL_MIGRATIONS, pending: [] });
        assert.deepEqual(await openAgain(storage).migrationStatus(), { applied: ALL_MIGRATIONS, pending: [] });
      });
    });

    describe('settings', () => {
      let storage: OpenedStorage;
      before(async () => {
        storage = await openFresh();
      });

      it('getSetting returns undefined for a setting never stored', async () => {
        assert.equal(await storage.settings.getSetting('never-stored'), undefined);
      });

      it('putSettingIfAbsent stores a new setting and returns it; getSetting reads it back exactly', async () => {
        const value = 'c2VjcmV0LWNoZWNr_-: "quoted" é ' + 'x'.repeat(500);
        assert.equal(await storage.settings.putSettingIfAbsent('master_key_check', value), value);
        assert.equal(await storage.settings.getSetting('master_key_check'), value);
        assert.equal(await storage.settings.getSetting('MASTER_KEY_CHECK'), undefined, 'names are matched exactly');
        assert.equal(await storage.settings.getSetting('master_key_chec'), undefined);
      });

      it('the first value wins: a second put with another value returns the first one and changes nothing', async () => {
        assert.equal(await storage.settings.putSettingIfAbsent('first-wins', 'first'), 'first');
        assert.equal(await storage.settings.putSettingIfAbsent('first-wins', 'second'), 'first');
        assert.equal(await storage.settings.getSetting('first-wins'), 'first');
        assert.equal(await storage.settings.putSettingIfAbsent('first-wins', 'first'), 'first', 'putting the same value again is fine');
      });

      it('settings are independent of each other', async () => {
        assert.equal(await storage.settings.putSettingIfAbsent('alpha', 'a'), 'a');
        assert.equal(await storage.settings.putSettingIfAbsent('beta', 'b'), 'b');
        assert.equal(await storage.settings.getSetting('alpha'), 'a');
        assert.equal(await storage.settings.getSetting('beta'), 'b');
      });

      it('a setting stored by one process is seen by another, and the other cannot replace it', async () => {
        assert.equal(await storage.settings.putSettingIfAbsent('shared', 'from-first'), 'from-first');
        const second = openAgain(storage);
        assert.equal(await second.settings.getSetting('shared'), 'from-first');
        assert.equal(await second.settings.putSettingIfAbsent('shared', 'from-second'), 'from-first');
        assert.equal(await storage.settings.getSetting('shared'), 'from-first');
      });

      it('two processes putting different values at once both get the same, stored, value', async () => {
        const second = openAgain(storage);
        for (let round = 0; round < 5; round += 1) {
          const name = `race-${round}`;
          const [a, b] = await Promise.all([storage.settings.putSettingIfAbsent(name, 'value-a'), second.settings.putSettingIfAbsent(name, 'value-b')]);
          assert.equal(a, b, 'both callers see the one stored value');
          assert.ok(a === 'value-a' || a === 'value-b');
          assert.equal(await storage.settings.getSetting(name), a);
          assert.equal(await second.settings.getSetting(name), a);
        }
      });
    });

    describe('tenants', () => {
      let storage: SqlStorage;
      before(async () => {
        storage = await openFresh();
      });

      it('createTenant returns the tenant and findTenantBySlug round-trips every field', async () => {
        now = T0 + 1_000;
        const created = await storage.tenants.createTenant({ slug: 'acme', name: 'Acme Documents GmbH', accessTokenTtl: 43_200 });
        assert.equal(typeof created.id, 'string');
        assert.ok(created.id.length > 0);
        assert.deepEqual(created, { id: created.id, slug: 'acme', name: 'Acme Documents GmbH', accessTokenTtl: 43_200, disabled: false, branding: { accent: null, termsUrl: null, privacyUrl: null, logo: null }, createdAt: T0 + 1_000 });
        assert.deepEqual(await storage.tenants.findTenantBySlug('acme'), created);
      });

      it('round-trips a tenant without its own token lifetime (null, not 0)', async () => {
        const created = await storage.tenants.createTenant({ slug: 'no-ttl', name: 'No TTL', accessTokenTtl: null });
        const found = await storage.tenants.findTenantBySlug('no-ttl');
        assert.equal(found?.accessTokenTtl, null);
        assert.deepEqual(found, created);
      });

      it('gives every tenant a distinct id', async () => {
        const a = await openTenant(storage);
        const b = await openTenant(storage);
        assert.notEqual(a.id, b.id);
      });

      it('findTenantBySlug returns undefined for an unknown slug and matches the slug exactly', async () => {
        assert.equal(await storage.tenants.findTenantBySlug('does-not-exist'), undefined);
        assert.equal(await storage.tenants.findTenantBySlug('acm'), undefined);
        assert.equal(await storage.tenants.findTenantBySlug('acme '), undefined);
      });

      it('a duplicate slug fails with ConflictError and writes nothing', async () => {
        const before = await storage.tenants.listTenants();
        const original = await storage.tenants.findTenantBySlug('acme');
        await rejectsWith(storage.tenants.createTenant({ slug: 'acme', name: 'Impostor', accessTokenTtl: 60 }), ConflictError);
        assert.deepEqual(await storage.tenants.listTenants(), before, 'no tenant added');
        assert.deepEqual(await storage.tenants.findTenantBySlug('acme'), original, 'the existing tenant is unchanged');
      });

      it('listTenants returns every tenant, sorted by slug', async () => {
        await storage.tenants.createTenant({ slug: 'zulu', name: 'Z', accessTokenTtl: null });
        await storage.tenants.createTenant({ slug: 'bravo', name: 'B', accessTokenTtl: null });
        const tenants = await storage.tenants.listTenants();
        const slugs = tenants.map((tenant) => tenant.slug);
        assert.deepEqual(slugs, [...slugs].sort());
        for (const slug of ['acme', 'bravo', 'no-ttl', 'zulu']) assert.ok(slugs.includes(slug), `${slug} listed`);
        assert.deepEqual(tenants.find((tenant) => tenant.slug === 'acme'), await storage.tenants.findTenantBySlug('acme'));
      });
    });

    describe('clients', () => {
      let storage: OpenedStorage;
      let acme: Tenant;
      let globex: Tenant;
      before(async () => {
        storage = await openFresh();
        acme = await storage.tenants.createTenant({ slug: 'acme', name: 'Acme', accessTokenTtl: 7_200 });
        globex = await storage.tenants.createTenant({ slug: 'globex', name: 'Globex', accessTokenTtl: null });
      });

      it('createClient round-trips every field and joins the tenant slug and lifetime', async () => {
        now = T0 + 5_000;
        const input = newClient(acme.id, {
          name: 'Signature portal',
          secretDigest: 'k3yedD1gest_-',
          grantTypes: ['client_credentials', 'authorization_code', 'refresh_token'],
          scopes: ['documents:read', 'documents:write', 'signatures:create'],
          defaultScopes: ['documents:read', 'signatures:create'],
          redirectUris: ['https://app.example.com/callback?source=gatehouse&x="1"', 'http://127.0.0.1:8765/cb', 'com.example.app:/oauth/é'],
          accessTokenTtl: 900,
          // 100 years does not fit a 32-bit integer of seconds.
          refreshIdleTtl: 7 * 86_400,
          refreshAbsoluteTtl: 100 * 31_536_000,
          refreshGraceSeconds: 30,
        });
        const expected: Client = {
          id: input.id,
          tenantId: acme.id,
          tenantSlug: 'acme',
          name: 'Signature portal',
          isPublic: false,
          secretDigest: 'k3yedD1gest_-',
          previousSecretDigest: null,
          previousSecretExpiresAt: null,
          grantTypes: ['client_credentials', 'authorization_code', 'refresh_token'],
          scopes: ['documents:read', 'documents:write', 'signatures:create'],
          defaultScopes: ['documents:read', 'signatures:create'],
          redirectUris: ['https://app.example.com/callback?source=gatehouse&x="1"', 'http://127.0.0.1:8765/cb', 'com.example.app:/oauth/é'],
          accessTokenTtl: 900,
          tenantAccessTokenTtl: 7_200,
          disabled: false,
          tenantDisabled: false,
          revocationEpoch: 0,
          resourceServer: false,
          refreshIdleTtl: 7 * 86_400,
          refreshAbsoluteTtl: 100 * 31_536_000,
          refreshGraceSeconds: 30,
          createdAt: T0 + 5_000,
          updatedAt: T0 + 5_000,
        };
        assert.deepEqual(await storage.clients.createClient(input), expected);
        assert.deepEqual(await storage.clients.findClient(input.id), expected);
      });

      it('createClient without refresh settings gets 30 days idle, 1 year absolute, no grace', async () => {
        const created = await storage.clients.createClient(newClient(acme.id));
        assert.deepEqual(
          [created.refreshIdleTtl, created.refreshAbsoluteTtl, created.refreshGraceSeconds],
          [30 * 86_400, 365 * 86_400, 0],
        );
      });

      it('round-trips a public client with no secret, empty lists and null lifetimes', async () => {
        const input = newClient(globex.id, {
          isPublic: true,
          secretDigest: null,
          grantTypes: ['authorization_code'],
          scopes: [],
          defaultScopes: [],
          redirectUris: [],
          accessTokenTtl: null,
        });
        const created = await storage.clients.createClient(input);
        assert.equal(created.isPublic, true);
        assert.equal(created.secretDigest, null);
        assert.deepEqual(created.scopes, []);
        assert.deepEqual(created.defaultScopes, []);
        assert.deepEqual(created.redirectUris, []);
        assert.equal(created.accessTokenTtl, null);
        assert.equal(created.tenantAccessTokenTtl, null);
        assert.equal(created.tenantSlug, 'globex');
        assert.deepEqual(await storage.clients.findClient(input.id), created);
      });

      it('findClient finds a client by id whatever its tenant, and returns undefined for an unknown id', async () => {
        const inGlobex = await storage.clients.createClient(newClient(globex.id));
        assert.equal((await storage.clients.findClient(inGlobex.id))?.tenantId, globex.id);
        assert.equal(await storage.clients.findClient('no-such-client'), undefined);
        assert.equal(await storage.clients.findClient(inGlobex.id.toUpperCase()), undefined, 'client ids are matched exactly');
      });

      it('a duplicate client id fails with ConflictError, in the same or another tenant, and writes nothing', async () => {
        const original = await storage.clients.createClient(newClient(acme.id, { scopes: ['documents:read'] }));
        const acmeClients = await storage.clients.listClients(acme.id);
        const globexClients = await storage.clients.listClients(globex.id);
        const globexScopes = await storage.scopes.listScopes(globex.id);
        const acmeScopes = await storage.scopes.listScopes(acme.id);

        await rejectsWith(
          storage.clients.createClient(newClient(acme.id, { id: original.id, name: 'Impostor', scopes: ['duplicate:only'] })),
          ConflictError,
        );
        await rejectsWith(
          storage.clients.createClient(newClient(globex.id, { id: original.id, name: 'Impostor', scopes: ['duplicate:only'] })),
          ConflictError,
        );

        assert.deepEqual(await storage.clients.findClient(original.id), original, 'the existing client is unchanged');
        assert.deepEqual(await storage.clients.listClients(acme.id), acmeClients);
        assert.deepEqual(await storage.clients.listClients(globex.id), globexClients);
        assert.deepEqual(await storage.scopes.listScopes(acme.id), acmeScopes, 'the failed client registered no scope');
        assert.deepEqual(await storage.scopes.listScopes(globex.id), globexScopes, 'the failed client registered no scope');
      });

      it('a createClient that fails after inserting the client row (scope registration) writes nothing', async () => {
        const failing = 'fails:on-insert';
        await installFailingScopeTrigger(storage, failing);
        try {
          const input = newClient(acme.id, { scopes: ['aaa:first', failing] });
          await rejectsWith(storage.clients.createClient(input), StorageUnavailableError);
          assert.equal(await storage.clients.findClient(input.id), undefined, 'the client row was rolled back');
          const names = (await storage.scopes.listScopes(acme.id)).map((scope) => scope.name);
          assert.ok(!names.includes('aaa:first') && !names.includes(failing), 'no scope of the failed client was registered');
        } finally {
          await removeFailingScopeTrigger(storage);
        }
        // The storage is usable afterwards (no transaction left open).
        const next = await storage.clients.createClient(newClient(acme.id, { scopes: ['aaa:first'] }));
        assert.equal((await storage.clients.findClient(next.id))?.id, next.id);
      });

      it('keeps tenants apart: a client created in one tenant is not listed in another', async () => {
        const tenantA = await openTenant(storage);
        const tenantB = await openTenant(storage);
        const a1 = await storage.clients.createClient(newClient(tenantA.id, { name: 'A one' }));
        now += 1;
        const a2 = await storage.clients.createClient(newClient(tenantA.id, { name: 'A two' }));
        now += 1;
        const b1 = await storage.clients.createClient(newClient(tenantB.id, { name: 'B one' }));

        const inA = await storage.clients.listClients(tenantA.id);
        const inB = await storage.clients.listClients(tenantB.id);
        assert.deepEqual(
          inA.map((client) => client.id),
          [a1.id, a2.id],
          'tenant A lists its own clients, oldest first',
        );
        assert.deepEqual(inB, [b1], 'tenant B lists only its client, with every field');
        assert.ok(!inB.some((client) => client.id === a1.id || client.id === a2.id));
        assert.deepEqual(await storage.clients.listClients('no-such-tenant'), []);
      });

      it('a new client starts at revocation epoch 0', async () => {
        const client = await storage.clients.createClient(newClient(acme.id));
        assert.equal(client.revocationEpoch, 0);
        assert.equal((await storage.clients.findClient(client.id))?.revocationEpoch, 0);
      });

      it('updateClientSecret replaces both digests and the grace expiry and stamps updatedAt', async () => {
        now = T0 + 10_000;
        const client = await storage.clients.createClient(newClient(acme.id, { secretDigest: 'old-digest' }));
        now = T0 + 20_000;
        const graceEnd = T0 + 20_000 + 3_600_000;
        const rotated = await storage.clients.updateClientSecret(client.id, {
          expectedSecretDigest: 'old-digest',
          secretDigest: 'new-digest',
          previousSecretDigest: 'old-digest',
          previousSecretExpiresAt: graceEnd,
          revokeTokens: false,
        });
        assert.deepEqual(rotated, {
          ...client,
          secretDigest: 'new-digest',
          previousSecretDigest: 'old-digest',
          previousSecretExpiresAt: graceEnd,
          updatedAt: T0 + 20_000,
        });
        assert.equal(rotated?.revocationEpoch, 0, 'a change without revokeTokens leaves the epoch alone');
        assert.deepEqual(await storage.clients.findClient(client.id), rotated);

        const cleared = await storage.clients.updateClientSecret(client.id, {
          expectedSecretDigest: 'new-digest',
          secretDigest: 'newest-digest',
          previousSecretDigest: null,
          previousSecretExpiresAt: null,
          revokeTokens: false,
        });
        assert.equal(cleared?.secretDigest, 'newest-digest');
        assert.equal(cleared?.previousSecretDigest, null);
        assert.equal(cleared?.previousSecretExpiresAt, null);
        assert.equal(cleared?.revocationEpoch, 0);
      });

      /** What `gatehouse client rotate-secret` does without a grace period: before-rotation → after-rotation. */
      const rotateWithoutGrace = (by: SqlStorage, clientId: string) =>
        by.clients.updateClientSecret(clientId, {
          expectedSecretDigest: 'before-rotation',
          secretDigest: 'after-rotation',
          previousSecretDigest: null,
          previousSecretExpiresAt: null,
          revokeTokens: true,
        });

      it('findClient sees a rotation and a disable committed by another process, right after it answered the old record', async () => {
        const client = await storage.clients.createClient(newClient(acme.id, { secretDigest: 'before-rotation' }));
        const other = openAgain(storage);
        // Looked up several times at once and one by one: a caching store now holds the record.
        await Promise.all([1, 2, 3].map(() => storage.clients.findClient(client.id)));
        assert.equal((await storage.clients.findClient(client.id))?.secretDigest, 'before-rotation');

        await rotateWithoutGrace(other, client.id);
        const [a, b] = await Promise.all([storage.clients.findClient(client.id), storage.clients.findClient(client.id)]);
        assert.equal(a?.secretDigest, 'after-rotation', 'the first lookup after the other process committed');
        assert.equal(b?.secretDigest, 'after-rotation');
        assert.equal(a?.revocationEpoch, 1);

        await other.clients.setClientDisabled(client.id, true);
        assert.equal((await storage.clients.findClient(client.id))?.disabled, true);
      });

      it('findClient sees another process’s rotation even while a transaction of this storage holds a read snapshot', async () => {
        const client = await storage.clients.createClient(newClient(acme.id, { secretDigest: 'before-rotation' }));
        const other = openAgain(storage);
        assert.equal((await storage.clients.findClient(client.id))?.secretDigest, 'before-rotation', 'now cached by a caching store');

        // A transaction that holds a read snapshot across turns of the event loop, during
        // which the other process rotates the secret and a token request arrives.
        let lookup: Promise<Client | undefined> | undefined;
        await storage.db.transaction().execute(async (trx) => {
          await trx.selectFrom('clients').select('id').execute();
          await rotateWithoutGrace(other, client.id);
          lookup = storage.clients.findClient(client.id);
          await new Promise((resolve) => setTimeout(resolve, 20));
        });
        assert.equal((await lookup!)?.secretDigest, 'after-rotation');
      });

      it('updateClientSecret with revokeTokens raises the revocation epoch by exactly one, in the same update', async () => {
        const client = await storage.clients.createClient(newClient(acme.id, { secretDigest: 'd0' }));
        const change = { previousSecretDigest: null, previousSecretExpiresAt: null };
        const first = await storage.clients.updateClientSecret(client.id, { ...change, expectedSecretDigest: 'd0', secretDigest: 'd1', revokeTokens: true });
        assert.equal(first?.revocationEpoch, 1);
        assert.equal(first?.secretDigest, 'd1', 'the digest is replaced by the same call');
        const second = await storage.clients.updateClientSecret(client.id, { ...change, expectedSecretDigest: 'd1', secretDigest: 'd2', revokeTokens: true });
        assert.equal(second?.revocationEpoch, 2, 'each revoking rotation raises it once more');
        const kept = await storage.clients.updateClientSecret(client.id, { ...change, expectedSecretDigest: 'd2', secretDigest: 'd3', revokeTokens: false });
        assert.equal(kept?.revocationEpoch, 2, 'a rotation without revokeTokens keeps it');
        assert.equal(kept?.secretDigest, 'd3');
        assert.deepEqual(await storage.clients.findClient(client.id), kept);
      });

      it('updateClientSecret is a compare-and-set: a stale expectedSecretDigest fails with ConflictError and writes nothing', async () => {
        now = T0 + 21_000;
        const client = await storage.clients.createClient(newClient(acme.id, { secretDigest: 'current' }));
        now = T0 + 22_000;
        for (const revokeTokens of [true, false]) {
          await rejectsWith(
            storage.clients.updateClientSecret(client.id, {
              expectedSecretDigest: 'stale',
              secretDigest: 'resurrected',
              previousSecretDigest: 'stale',
              previousSecretExpiresAt: now + 60_000,
              revokeTokens,
            }),
            ConflictError,
          );
        }
        assert.deepEqual(await storage.clients.findClient(client.id), client, 'digests, epoch and updatedAt are unchanged');
      });

      it('of two rotations from the same digest, the second fails with ConflictError and the first one stays', async () => {
        const client = await storage.clients.createClient(newClient(acme.id, { secretDigest: 'shared-start' }));
        const first = await storage.clients.updateClientSecret(client.id, {
          expectedSecretDigest: 'shared-start',
          secretDigest: 'first',
          previousSecretDigest: null,
          previousSecretExpiresAt: null,
          revokeTokens: true,
        });
        assert.equal(first?.secretDigest, 'first');
        await rejectsWith(
          storage.clients.updateClientSecret(client.id, {
            expectedSecretDigest: 'shared-start',
            secretDigest: 'second',
            previousSecretDigest: 'shared-start',
            previousSecretExpiresAt: now + 60_000,
            revokeTokens: true,
          }),
          ConflictError,
        );
        const after = await storage.clients.findClient(client.id);
        assert.deepEqual(after, first, 'the first rotation stands, and the epoch was raised once');
        assert.equal(after?.revocationEpoch, 1);
      });

      it('updateClientSecret returns undefined for an unknown client and creates nothing', async () => {
        const result = await storage.clients.updateClientSecret('no-such-client', {
          expectedSecretDigest: 'x',
          secretDigest: 'y',
          previousSecretDigest: null,
          previousSecretExpiresAt: null,
          revokeTokens: true,
        });
        assert.equal(result, undefined);
        assert.equal(await storage.clients.findClient('no-such-client'), undefined);
      });

      it('setClientDisabled: disabling raises the revocation epoch by one, enabling leaves it', async () => {
        now = T0 + 30_000;
        const client = await storage.clients.createClient(newClient(acme.id));
        now = T0 + 40_000;
        const disabled = await storage.clients.setClientDisabled(client.id, true);
        assert.deepEqual(disabled, { ...client, disabled: true, revocationEpoch: 1, updatedAt: T0 + 40_000 });
        assert.deepEqual(await storage.clients.findClient(client.id), disabled);

        now = T0 + 50_000;
        const enabled = await storage.clients.setClientDisabled(client.id, false);
        assert.deepEqual(enabled, { ...client, disabled: false, revocationEpoch: 1, updatedAt: T0 + 50_000 }, 'enabling keeps the epoch: revoked tokens stay revoked');
        assert.deepEqual(await storage.clients.findClient(client.id), enabled);

        const again = await storage.clients.setClientDisabled(client.id, true);
        assert.equal(again?.disabled, true);
        assert.equal(again?.revocationEpoch, 2, 'disabling again raises it once more');
      });

      it('the epoch raises of disabling and of revoking rotations add up', async () => {
        const client = await storage.clients.createClient(newClient(acme.id, { secretDigest: 'a' }));
        await storage.clients.setClientDisabled(client.id, true);
        const rotated = await storage.clients.updateClientSecret(client.id, {
          expectedSecretDigest: 'a',
          secretDigest: 'b',
          previousSecretDigest: null,
          previousSecretExpiresAt: null,
          revokeTokens: true,
        });
        assert.equal(rotated?.revocationEpoch, 2);
        assert.equal(rotated?.disabled, true, 'a rotation leaves the client disabled');
        const graced = await storage.clients.updateClientSecret(client.id, {
          expectedSecretDigest: 'b',
          secretDigest: 'c',
          previousSecretDigest: 'b',
          previousSecretExpiresAt: now + 60_000,
          revokeTokens: false,
        });
        assert.equal(graced?.revocationEpoch, 2, 'a grace-period rotation does not lower the raise of the disable');
        assert.equal((await storage.clients.setClientDisabled(client.id, false))?.revocationEpoch, 2);
      });

      it('setClientDisabled returns undefined for an unknown client', async () => {
        assert.equal(await storage.clients.setClientDisabled('no-such-client', true), undefined);
        assert.equal(await storage.clients.setClientDisabled('no-such-client', false), undefined);
        assert.equal(await storage.clients.findClient('no-such-client'), undefined);
      });

      it(
        'a disable racing a grace-period rotation (revokeTokens: false) keeps the raise of the disable',
        {
          skip: target.name === 'postgres' ? false : 'SQLite runs the writes of one storage one after the other',
        },
        async () => {
          const client = await storage.clients.createClient(newClient(acme.id));
          // A second session holds the row lock, so both updates are under way before either writes.
          await withRowLock(storage.url, `update clients set updated_at = updated_at where id = '${client.id}'`, async (waitUntilBlocked) => {
            const disable = storage.clients.setClientDisabled(client.id, true);
            await waitUntilBlocked(1);
            const rotate = storage.clients.updateClientSecret(client.id, {
              expectedSecretDigest: client.secretDigest!,
              secretDigest: 'rotated',
              previousSecretDigest: client.secretDigest,
              previousSecretExpiresAt: now + 60_000,
              revokeTokens: false,
            });
            await waitUntilBlocked(2);
            return [disable, rotate];
          });
          const after = await storage.clients.findClient(client.id);
          assert.equal(after?.disabled, true);
          assert.equal(after?.secretDigest, 'rotated');
          assert.equal(after?.previousSecretDigest, client.secretDigest);
          assert.equal(after?.revocationEpoch, 1, 'the epoch raised by disabling survives the rotation, raised exactly once');
        },
      );

      it(
        'a disable racing a revoking rotation raises the epoch twice: neither raise is lost',
        {
          skip: target.name === 'postgres' ? false : 'SQLite runs the writes of one storage one after the other',
        },
        async () => {
          const client = await storage.clients.createClient(newClient(acme.id));
          // The disable writes first, so the rotation must raise the epoch the disable left, not the one it saw.
          await withRowLock(storage.url, `update clients set updated_at = updated_at where id = '${client.id}'`, async (waitUntilBlocked) => {
            const disable = storage.clients.setClientDisabled(client.id, true);
            await waitUntilBlocked(1);
            const rotate = storage.clients.updateClientSecret(client.id, {
              expectedSecretDigest: client.secretDigest!,
              secretDigest: 'rotated',
              previousSecretDigest: null,
              previousSecretExpiresAt: null,
              revokeTokens: true,
            });
            await waitUntilBlocked(2);
            return [disable, rotate];
          });
          const after = await storage.clients.findClient(client.id);
          assert.equal(after?.disabled, true);
          assert.equal(after?.secretDigest, 'rotated');
          assert.equal(after?.revocationEpoch, 2);
        },
      );

      it(
        'of two revoking rotations racing from the same digest, exactly one applies and the other fails with ConflictError',
        {
          skip: target.name === 'postgres' ? false : 'SQLite runs the writes of one storage one after the other',
        },
        async () => {
          const client = await storage.clients.createClient(newClient(acme.id));
          const rotation = (digest: string) =>
            storage.clients.updateClientSecret(client.id, {
              expectedSecretDigest: client.secretDigest!,
              secretDigest: digest,
              previousSecretDigest: null,
              previousSecretExpiresAt: null,
              revokeTokens: true,
            });
          // Settled at once, so a rejection is never left unhandled while the other call waits.
          const outcomes: Promise<PromiseSettledResult<Client | undefined>>[] = [];
          const start = (digest: string) => outcomes.push(Promise.allSettled([rotation(digest)]).then(([outcome]) => outcome!));
          await withRowLock(storage.url, `update clients set updated_at = updated_at where id = '${client.id}'`, async (waitUntilBlocked) => {
            start('digest-a');
            await waitUntilBlocked(1);
            start('digest-b');
            await waitUntilBlocked(2);
            return outcomes;
          });
          const settled = await Promise.all(outcomes);
          assert.equal(settled.length, 2);
          const fulfilled = settled.filter((outcome) => outcome.status === 'fulfilled');
          const rejected = settled.filter((outcome) => outcome.status === 'rejected');
          assert.equal(fulfilled.length, 1, 'exactly one rotation applied');
          assert.equal(rejected.length, 1, 'exactly one rotation failed');
          const reason = (rejected[0] as PromiseRejectedResult).reason as Error;
          assert.ok(reason instanceof ConflictError, `expected ConflictError, got ${reason?.name}: ${reason?.message}`);
          const winner = (fulfilled[0] as PromiseFulfilledResult<Client | undefined>).value;
          assert.ok(winner?.secretDigest === 'digest-a' || winner?.secretDigest === 'digest-b');
          const after = await storage.clients.findClient(client.id);
          assert.equal(after?.secretDigest, winner.secretDigest, "the stored digest is the winner's");
          assert.equal(after?.revocationEpoch, 1, 'only the winner raised the epoch');
          assert.deepEqual(after, winner);
        },
      );
    });

    describe('scope catalogue', () => {
      let storage: SqlStorage;
      before(async () => {
        storage = await openFresh();
      });

      it('createClient registers its scope names in the tenant catalogue, each once', async () => {
        const tenant = await openTenant(storage);
        assert.deepEqual(await storage.scopes.listScopes(tenant.id), []);
        await storage.clients.createClient(newClient(tenant.id, { scopes: ['documents:write', 'documents:read'], defaultScopes: [] }));
        await storage.clients.createClient(newClient(tenant.id, { scopes: ['documents:read', 'signatures:create'], defaultScopes: [] }));
        await storage.clients.createClient(newClient(tenant.id, { scopes: [], defaultScopes: [] }));
        assert.deepEqual(await storage.scopes.listScopes(tenant.id), [
          { tenantId: tenant.id, name: 'documents:read', description: '' },
          { tenantId: tenant.id, name: 'documents:write', description: '' },
          { tenantId: tenant.id, name: 'signatures:create', description: '' },
        ]);
      });

      it('createClient leaves the description of an existing scope alone', async () => {
        const tenant = await openTenant(storage);
        await storage.clients.createClient(newClient(tenant.id, { scopes: ['documents:read'] }));
        // Descriptions are edited by operators; no storage method sets one yet.
        await storage.db.updateTable('scopes').set({ description: 'Read your documents' }).where('tenant_id', '=', tenant.id).execute();
        await storage.clients.createClient(newClient(tenant.id, { scopes: ['documents:read', 'documents:write'] }));
        assert.deepEqual(await storage.scopes.listScopes(tenant.id), [
          { tenantId: tenant.id, name: 'documents:read', description: 'Read your documents' },
          { tenantId: tenant.id, name: 'documents:write', description: '' },
        ]);
      });

      it('listScopes returns the scopes of one tenant only', async () => {
        const a = await openTenant(storage);
        const b = await openTenant(storage);
        await storage.clients.createClient(newClient(a.id, { scopes: ['a:only', 'shared'] }));
        await storage.clients.createClient(newClient(b.id, { scopes: ['b:only', 'shared'] }));
        assert.deepEqual(
          (await storage.scopes.listScopes(a.id)).map((scope) => [scope.tenantId, scope.name]),
          [
            [a.id, 'a:only'],
            [a.id, 'shared'],
          ],
        );
        assert.deepEqual(
          (await storage.scopes.listScopes(b.id)).map((scope) => [scope.tenantId, scope.name]),
          [
            [b.id, 'b:only'],
            [b.id, 'shared'],
          ],
        );
      });

      it('listScopeNames lists the distinct scope names of every tenant, sorted', async () => {
        const fresh = await openFresh();
        assert.deepEqual(await fresh.scopes.listScopeNames(), []);
        const x = await openTenant(fresh);
        const y = await openTenant(fresh);
        await fresh.clients.createClient(newClient(x.id, { scopes: ['zeta', 'alpha', 'documents:read'] }));
        await fresh.clients.createClient(newClient(y.id, { scopes: ['documents:read', 'Beta', 'alpha_read', 'alpha:read'] }));
        // Scope tokens are case-sensitive (RFC 6749 §3.3): sorted by code point, as JavaScript sorts.
        assert.deepEqual(await fresh.scopes.listScopeNames(), ['Beta', 'alpha', 'alpha:read', 'alpha_read', 'documents:read', 'zeta']);
      });
    });

    describe('longestAccessTokenTtl', () => {
      it('is null while no client or tenant sets a lifetime, then the longest over clients and tenants', async () => {
        const storage = await openFresh();
        assert.equal(await storage.clients.longestAccessTokenTtl(), null, 'empty database');
        const plain = await openTenant(storage, { accessTokenTtl: null });
        await storage.clients.createClient(newClient(plain.id, { accessTokenTtl: null }));
        assert.equal(await storage.clients.longestAccessTokenTtl(), null, 'a tenant and a client without lifetimes');

        const tenant = await openTenant(storage, { accessTokenTtl: 7_200 });
        assert.equal(await storage.clients.longestAccessTokenTtl(), 7_200, 'a tenant lifetime counts');
        await storage.clients.createClient(newClient(tenant.id, { accessTokenTtl: 600 }));
        assert.equal(await storage.clients.longestAccessTokenTtl(), 7_200, 'a shorter client lifetime does not lower it');
        await storage.clients.createClient(newClient(plain.id, { accessTokenTtl: 43_200 }));
        assert.equal(await storage.clients.longestAccessTokenTtl(), 43_200, 'a client lifetime counts');
        await openTenant(storage, { accessTokenTtl: 86_400 });
        assert.equal(await storage.clients.longestAccessTokenTtl(), 86_400);
      });
    });

    describe('signing keys', () => {
      let storage: SqlStorage;
      const encryptionKey = randomBytes(32);
      const HOUR = 3_600_000;
      let k1: SigningKey;
      let k2: SigningKey;
      let k3: SigningKey;
      let k4: SigningKey;
      before(async () => {
        storage = await openFresh();
        k1 = await generateSigningKey('ES256', encryptionKey, T0);
        k2 = await generateSigningKey('RS256', encryptionKey, T0 + HOUR);
        k3 = await generateSigningKey('ES256', encryptionKey, T0 + 2 * HOUR);
      });

      it('listPublishedKeys is empty before any key is activated', async () => {
        assert.deepEqual(await storage.keys.listPublishedKeys(T0), []);
      });

      it('activateKey stores the key as the active one, round-tripping every field', async () => {
        await storage.keys.activateKey(k1, T0);
        assert.deepEqual(await storage.keys.listPublishedKeys(T0), [k1]);
        assert.equal(k1.withdrawnAt, null);
      });

      it('activateKey makes the new key the only active one and retires the previous one at now', async () => {
        const rotatedAt = T0 + HOUR;
        await storage.keys.activateKey(k2, rotatedAt);
        const published = await storage.keys.listPublishedKeys(rotatedAt - 1);
        assert.deepEqual(published, [k2, { ...k1, active: false, retiredAt: rotatedAt, withdrawnAt: null }], 'newest first');
        assert.equal(published.filter((key) => key.active).length, 1, 'exactly one active key');
      });

      it('listPublishedKeys publishes a retired key only while it was retired after retiredAfter, and the active key always', async () => {
        const k1RetiredAt = T0 + HOUR;
        assert.deepEqual((await storage.keys.listPublishedKeys(T0)).map((key) => key.kid), [k2.kid, k1.kid]);
        assert.deepEqual((await storage.keys.listPublishedKeys(k1RetiredAt - 1)).map((key) => key.kid), [k2.kid, k1.kid]);
        assert.deepEqual((await storage.keys.listPublishedKeys(k1RetiredAt)).map((key) => key.kid), [k2.kid], 'retired at retiredAfter: not after it');
        assert.deepEqual((await storage.keys.listPublishedKeys(k1RetiredAt + 1)).map((key) => key.kid), [k2.kid]);
        assert.deepEqual(
          (await storage.keys.listPublishedKeys(T0 + 1_000 * HOUR)).map((key) => key.kid),
          [k2.kid],
          'the active key is published whatever retiredAfter',
        );
      });

      it('activateKey leaves the retirement time of keys retired earlier alone', async () => {
        const rotatedAt = T0 + 2 * HOUR;
        await storage.keys.activateKey(k3, rotatedAt);
        const published = await storage.keys.listPublishedKeys(T0);
        assert.deepEqual(published, [
          k3,
          { ...k2, active: false, retiredAt: rotatedAt, withdrawnAt: null },
          { ...k1, active: false, retiredAt: T0 + HOUR, withdrawnAt: null },
        ]);
        assert.deepEqual(
          (await storage.keys.listPublishedKeys(T0 + HOUR)).map((key) => key.kid),
          [k3.kid, k2.kid],
          'k1 still counts from its own retirement',
        );
      });

      it('a failed activation writes nothing: the previous key stays active', async () => {
        const before = await storage.keys.listPublishedKeys(T0);
        assert.equal(before.find((key) => key.active)?.kid, k3.kid);
        // A duplicate kid makes the insert fail after the retiring update has run.
        await assert.rejects(storage.keys.activateKey({ ...k2, createdAt: T0 + 3 * HOUR }, T0 + 3 * HOUR));
        assert.deepEqual(await storage.keys.listPublishedKeys(T0), before);
      });

      it('activating a key whose kid is already stored fails with ConflictError and leaves the active key in place', async () => {
        const before = await storage.keys.listPublishedKeys(T0);
        const again = { ...k1, createdAt: T0 + 3 * HOUR };
        try {
          await rejectsWith(storage.keys.activateKey(again, T0 + 3 * HOUR), ConflictError);
        } finally {
          assert.deepEqual(await storage.keys.listPublishedKeys(T0), before, 'nothing was written, k3 is still the active key');
        }
      });

      it("withdrawKey refuses the active key ('active') and changes nothing", async () => {
        const before = await storage.keys.listPublishedKeys(T0);
        assert.equal(await storage.keys.withdrawKey(k3.kid, T0 + 3 * HOUR), 'active');
        assert.deepEqual(await storage.keys.listPublishedKeys(T0), before, 'k3 is still active and published, nothing withdrawn');
        const row = await storage.db.selectFrom('signing_keys').select(['active', 'withdrawn_at']).where('kid', '=', k3.kid).executeTakeFirstOrThrow();
        assert.deepEqual({ active: Number(row.active), withdrawnAt: row.withdrawn_at }, { active: 1, withdrawnAt: null });
      });

      it("withdrawKey answers 'not_found' for an unknown kid and changes nothing", async () => {
        const before = await storage.keys.listPublishedKeys(T0);
        assert.equal(await storage.keys.withdrawKey('no-such-kid', T0 + 3 * HOUR), 'not_found');
        assert.equal(await storage.keys.withdrawKey(k1.kid.toUpperCase(), T0 + 3 * HOUR), 'not_found', 'kids are matched exactly');
        assert.deepEqual(await storage.keys.listPublishedKeys(T0), before);
      });

      it('a withdrawn retired key leaves listPublishedKeys at once, whatever retiredAfter; the other keys stay', async () => {
        const withdrawnAt = T0 + 3 * HOUR;
        assert.deepEqual((await storage.keys.listPublishedKeys(T0)).map((key) => key.kid), [k3.kid, k2.kid, k1.kid]);
        assert.equal(await storage.keys.withdrawKey(k2.kid, withdrawnAt), 'withdrawn');
        // k2 was retired at T0 + 2h: without the withdrawal every one of these would list it.
        for (const retiredAfter of [Number.MIN_SAFE_INTEGER, 0, T0, T0 + HOUR - 1, T0 + HOUR, T0 + 2 * HOUR - 1]) {
          assert.deepEqual(
            (await storage.keys.listPublishedKeys(retiredAfter)).map((key) => key.kid),
            retiredAfter < T0 + HOUR ? [k3.kid, k1.kid] : [k3.kid],
            `k2 is not published with retiredAfter ${retiredAfter}`,
          );
        }
        const row = await storage.db.selectFrom('signing_keys').select(['active', 'retired_at', 'withdrawn_at']).where('kid', '=', k2.kid).executeTakeFirstOrThrow();
        assert.deepEqual(
          { active: Number(row.active), retiredAt: Number(row.retired_at), withdrawnAt: Number(row.withdrawn_at) },
          { active: 0, retiredAt: T0 + 2 * HOUR, withdrawnAt },
          'the withdrawal is stamped with now; the retirement is kept',
        );
        assert.equal((await storage.keys.listPublishedKeys(T0)).find((key) => key.active)?.kid, k3.kid, 'the active key is untouched');
      });

      it('a withdrawn key stays withdrawn: withdrawing it again does not publish it, and a later rotation does not bring it back', async () => {
        assert.notEqual(await storage.keys.withdrawKey(k2.kid, T0 + 4 * HOUR), 'active');
        assert.ok(!(await storage.keys.listPublishedKeys(T0)).some((key) => key.kid === k2.kid));
        k4 = await generateSigningKey('ES256', encryptionKey, T0 + 5 * HOUR);
        await storage.keys.activateKey(k4, T0 + 5 * HOUR);
        assert.deepEqual(await storage.keys.listPublishedKeys(T0), [
          k4,
          { ...k3, active: false, retiredAt: T0 + 5 * HOUR, withdrawnAt: null },
          { ...k1, active: false, retiredAt: T0 + HOUR, withdrawnAt: null },
        ]);
      });

      it('the key retired by a rotation can then be withdrawn', async () => {
        assert.equal(await storage.keys.withdrawKey(k3.kid, T0 + 6 * HOUR), 'withdrawn');
        assert.deepEqual(
          (await storage.keys.listPublishedKeys(T0)).map((key) => key.kid),
          [k4.kid, k1.kid],
        );
        assert.equal(await storage.keys.withdrawKey(k4.kid, T0 + 6 * HOUR), 'active', 'the new active key cannot be withdrawn');
      });

      it(
        'two concurrent activations leave exactly one active key',
        {
          skip: target.name === 'postgres' ? false : 'SQLite runs the transactions of one storage one after the other',
        },
        async () => {
          const fresh = await openFresh();
          await fresh.keys.activateKey(await generateSigningKey('ES256', encryptionKey, T0), T0);
          const a = await generateSigningKey('ES256', encryptionKey, T0 + 1);
          const b = await generateSigningKey('ES256', encryptionKey, T0 + 2);
          await withRowLock(fresh.url, 'update signing_keys set active = active where active = 1', async (waitUntilBlocked) => {
            const first = fresh.keys.activateKey(a, T0 + 1);
            await waitUntilBlocked(1);
            const second = fresh.keys.activateKey(b, T0 + 2);
            await waitUntilBlocked(2);
            return [first, second];
          });
          const published = await fresh.keys.listPublishedKeys(T0);
          assert.deepEqual(
            published.filter((key) => key.active).map((key) => key.kid),
            [b.kid],
            'only the last activated key is active',
          );
          assert.deepEqual(
            published.find((key) => key.kid === a.kid),
            { ...a, active: false, retiredAt: T0 + 2, withdrawnAt: null },
            'the later activation retired the earlier one',
          );
        },
      );
    });

    describe('access token deny-list', () => {
      let storage: SqlStorage;
      before(async () => {
        storage = await openFresh();
      });

      it('isAccessTokenRevoked is false for a jti never revoked', async () => {
        assert.equal(await storage.revocations.isAccessTokenRevoked('never-revoked'), false);
      });

      it('revokeAccessToken is idempotent and isAccessTokenRevoked reports the revocation', async () => {
        const entry = { jti: 'jti-twice', clientId: 'client-1', expiresAt: 1_800_000_000 };
        await storage.revocations.revokeAccessToken(entry);
        await storage.revocations.revokeAccessToken(entry);
        await storage.revocations.revokeAccessToken({ ...entry, expiresAt: 1_800_000_100 });
        assert.equal(await storage.revocations.isAccessTokenRevoked('jti-twice'), true);
        assert.equal(await storage.revocations.isAccessTokenRevoked('jti-TWICE'), false, 'jti values are matched exactly');
        assert.equal(await storage.revocations.pruneRevokedAccessTokens(1_900_000_000), 1, 'revoking three times stored one entry');
        assert.equal(await storage.revocations.isAccessTokenRevoked('jti-twice'), false);
      });

      it('pruneRevokedAccessTokens removes only entries whose token expired at or before now, and returns how many', async () => {
        for (const [jti, expiresAt] of [
          ['expired-long-ago', 1_000],
          ['expires-at-100', 100_000],
          ['expires-at-200', 200_000],
          ['expires-later', 300_000],
        ] as const) {
          await storage.revocations.revokeAccessToken({ jti, clientId: 'client-1', expiresAt });
        }
        assert.equal(await storage.revocations.pruneRevokedAccessTokens(99_999), 1);
        assert.equal(await storage.revocations.isAccessTokenRevoked('expired-long-ago'), false);
        assert.equal(await storage.revocations.isAccessTokenRevoked('expires-at-100'), true, 'a token expiring after now stays denied');

        assert.equal(await storage.revocations.pruneRevokedAccessTokens(200_000), 2, 'a token whose exp is now has expired');
        assert.equal(await storage.revocations.isAccessTokenRevoked('expires-at-100'), false);
        assert.equal(await storage.revocations.isAccessTokenRevoked('expires-at-200'), false);
        assert.equal(await storage.revocations.isAccessTokenRevoked('expires-later'), true);

        assert.equal(await storage.revocations.pruneRevokedAccessTokens(200_000), 0, 'nothing left to prune');
        assert.equal(await storage.revocations.isAccessTokenRevoked('expires-later'), true);
      });
    });

    describe('lifecycle', () => {
      it('ping resolves while the backend answers', async () => {
        const storage = await openFresh();
        await storage.ping();
      });

      it('after close(), every call rejects with StorageUnavailableError, and close() again resolves', async () => {
        const storage = await openFresh();
        const tenant = await openTenant(storage);
        await storage.close();
        await rejectsWith(storage.ping(), StorageUnavailableError);
        await rejectsWith(storage.migrate(), StorageUnavailableError);
        await rejectsWith(storage.tenants.findTenantBySlug(tenant.slug), StorageUnavailableError);
        await rejectsWith(storage.tenants.createTenant({ slug: uniqueId('late'), name: 'Late', accessTokenTtl: null }), StorageUnavailableError);
        await rejectsWith(storage.clients.findClient('any'), StorageUnavailableError);
        await rejectsWith(storage.clients.createClient(newClient(tenant.id)), StorageUnavailableError);
        await rejectsWith(storage.keys.listPublishedKeys(T0), StorageUnavailableError);
        await rejectsWith(storage.keys.withdrawKey('any', T0), StorageUnavailableError);
        await rejectsWith(storage.settings.getSetting('any'), StorageUnavailableError);
        await rejectsWith(storage.settings.putSettingIfAbsent('any', 'value'), StorageUnavailableError);
        await rejectsWith(storage.migrationStatus(), StorageUnavailableError);
        await rejectsWith(storage.clients.setClientDisabled('any', true), StorageUnavailableError);
        await rejectsWith(
          storage.clients.updateClientSecret('any', { expectedSecretDigest: 'a', secretDigest: 'b', previousSecretDigest: null, previousSecretExpiresAt: null, revokeTokens: true }),
          StorageUnavailableError,
        );
        await rejectsWith(storage.revocations.isAccessTokenRevoked('any'), StorageUnavailableError);
        await rejectsWith(storage.scopes.listScopeNames(), StorageUnavailableError);
        await storage.close();
      });
    });
  });
}

describe('SQLite connection settings', () => {
  it('WAL (the CLI writes while the server reads), foreign keys, and a 4 MiB page cache (bounded memory)', async () => {
    const fresh = await openFreshStorage(SQLITE_TARGET, { prefix: 'pragmas', migrate: false });
    const storage = fresh.storage;
    try {
      const pragma = async (name: string) => (await sql.raw(`PRAGMA ${name}`).execute(storage.db)).rows[0] as Record<string, unknown>;
      assert.equal((await pragma('journal_mode')).journal_mode, 'wal');
      assert.equal((await pragma('foreign_keys')).foreign_keys, 1);
      // better-sqlite3's own default is -16000 (16 MiB), which took the grants bench server past 150 MB.
      assert.equal((await pragma('cache_size')).cache_size, -4096);
    } finally {
      await fresh.close();
    }
  });
});

/**
 * Fails every insert of the scope `name` inside the database (a trigger), so a
 * createClient fails after its client row was written.
 */
async function installFailingScopeTrigger(storage: SqlStorage, name: string): Promise<void> {
  if (storage.dialect === 'sqlite') {
    await sql
      .raw(`create trigger contract_fail_scope before insert on scopes when new.name = '${name}' begin select raise(abort, 'simulated failure'); end`)
      .execute(storage.db);
    return;
  }
  await sql
    .raw(
      `create function contract_fail_scope() returns trigger language plpgsql as $$ begin if new.name = '${name}' then raise exception 'simulated failure'; end if; return new; end $$`,
    )
    .execute(storage.db);
  await sql.raw('create trigger contract_fail_scope before insert on scopes for each row execute function contract_fail_scope()').execute(storage.db);
}

async function removeFailingScopeTrigger(storage: SqlStorage): Promise<void> {
  await sql.raw('drop trigger contract_fail_scope' + (storage.dialect === 'postgres' ? ' on scopes' : '')).execute(storage.db);
  if (storage.dialect === 'postgres') await sql.raw('drop function contract_fail_scope()').execute(storage.db);
}

