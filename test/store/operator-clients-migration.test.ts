/**
 * The forward migration 2026-12-08T00-00-operator-clients: clients.tenant_id becomes
 * nullable (operator clients). A populated database (clients with codes, grants, refresh
 * tokens and consents referencing them, a deleted client, a revocation) migrates forward
 * with every row and every foreign key intact, on every backend in STORAGE_TARGETS. On
 * SQLite, which rebuilds the table, `PRAGMA foreign_key_check` is clean afterwards and the
 * child tables still reference `clients`.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Migrator, sql } from 'kysely';
import type { Client } from '../../packages/server/src/core/types.js';
import { migrationProvider, MIGRATION_NAMES } from '../../packages/server/src/store/sql/migrations/index.js';
import type { SqlStorage } from '../../packages/server/src/store/sql/index.js';
import { STORAGE_TARGETS } from '../helpers/postgres.js';
import { openFreshStorage, randomDigest, uniqueId, type FreshStorage } from '../helpers/storage.js';

const MIGRATION = '2026-12-08T00-00-operator-clients';
const BEFORE = MIGRATION_NAMES[MIGRATION_NAMES.indexOf(MIGRATION) - 1]!;

for (const target of STORAGE_TARGETS) {
  describe(`migration: operator clients (${target.name})`, { skip: target.skip }, () => {
    let fresh: FreshStorage;
    let storage: SqlStorage;

    before(async () => {
      fresh = await openFreshStorage(target, { prefix: 'migrate-operator', migrate: false });
      storage = fresh.storage;
    });
    after(() => fresh?.close());

    it('a populated database migrates forward: rows, foreign keys and indexes intact, tenant_id nullable', async () => {
      const { error } = await new Migrator({ db: storage.db, provider: migrationProvider }).migrateTo(BEFORE);
      assert.equal(error, undefined);
      const now = Date.now();
      // Written as rows of the schema as it was before the migration: today's store reads
      // and writes columns that later migrations add (tenant branding, grants.last_used_at).
      const db = storage.db;
      const tenant = { id: randomUUID(), slug: 'acme' };
      await db.insertInto('tenants').values({ id: tenant.id, slug: tenant.slug, name: 'Acme', access_token_ttl: 600, created_at: now, disabled: 0 }).execute();
      const user = { id: randomUUID() };
      await db.insertInto('users').values({ id: user.id, username: 'ada', username_normalized: 'ada', password_hash: 'scrypt$x', disabled: 0, revocation_epoch: 0, created_at: now, updated_at: now }).execute();
      await db.insertInto('user_tenants').values({ user_id: user.id, tenant_id: tenant.id, created_at: now }).execute();
      const clientRow = (grantTypes: Client['grantTypes'], change: { disabled?: number; revocation_epoch?: number; deleted_at?: number | null } = {}) => ({
        id: uniqueId('client'), tenant_id: tenant.id, name: 'App', is_public: 0, secret_digest: randomDigest(), previous_secret_digest: null, previous_secret_expires_at: null,
        grant_types: grantTypes.join(' '), scopes: 'documents:read', default_scopes: 'documents:read', redirect_uris: JSON.stringify(['https://app.example.com/cb']),
        access_token_ttl: null, disabled: 0, revocation_epoch: 0, resource_server: 0, epoch_revision: 0, refresh_idle_ttl: 120, refresh_absolute_ttl: 240, refresh_grace: 5,
        created_at: now, updated_at: now, deleted_at: null, ...change,
      });
      const web = clientRow(['authorization_code', 'refresh_token']);
      const backend = clientRow(['client_credentials'], { disabled: 1, revocation_epoch: 1 });
      const gone = clientRow(['client_credentials'], { revocation_epoch: 1, deleted_at: now });
      await db.insertInto('clients').values([web, backend, gone]).execute();
      const codeDigest = randomDigest();
      await db.insertInto('authorization_codes').values({
        code_digest: codeDigest, client_id: web.id, user_id: user.id, redirect_uri: 'https://app.example.com/cb', scope: 'documents:read', tenants: 'acme',
        code_challenge: null, code_challenge_method: null, auth_time: now, expires_at: now + 60_000, consumed_at: now, grant_revoked_at: null,
      }).execute();
      const grant = { id: randomUUID() };
      await db.insertInto('grants').values({
        id: grant.id, client_id: web.id, user_id: user.id, code_digest: codeDigest, scope: 'documents:read', tenants: 'acme', created_at: now, absolute_expires_at: now + 240_000, revoked_at: null, revision: 0,
      }).execute();
      await db.insertInto('refresh_tokens').values({ id: randomUUID(), token_digest: randomDigest(), grant_id: grant.id, client_id: web.id, created_at: now, idle_expires_at: now + 120_000, rotated_at: null, replaced_by: null }).execute();
      await db.insertInto('consents').values({ user_id: user.id, client_id: web.id, scopes: 'documents:read', tenants: 'acme', created_at: now, updated_at: now }).execute();
      const clientsBefore = await storage.db.selectFrom('clients').selectAll().orderBy('id').execute();
      const feedBefore = await storage.revocations.readChanges(0, 0);

      assert.deepEqual(await storage.migrate(), MIGRATION_NAMES.slice(MIGRATION_NAMES.indexOf(MIGRATION)));

      assert.deepEqual(await storage.db.selectFrom('clients').selectAll().orderBy('id').execute(), clientsBefore, 'every client row, deleted ones too, as it was');
      const webAfter = await storage.clients.findClient(web.id);
      assert.deepEqual([webAfter?.tenantSlug, webAfter?.name, webAfter?.scopes, webAfter?.grantTypes, webAfter?.refreshGraceSeconds], ['acme', 'App', ['documents:read'], ['authorization_code', 'refresh_token'], 5]);
      assert.equal((await storage.clients.findClient(backend.id))?.disabled, true);
      assert.equal(await storage.clients.findClient(gone.id), undefined);
      assert.deepEqual((await storage.clients.listClients(tenant.id)).map((client) => client.id).sort(), [web.id, backend.id].sort());
      assert.deepEqual(await storage.revocations.readChanges(0, 0), feedBefore, 'the revocation feed is unchanged');
      assert.equal((await storage.grants.findGrant(grant.id))?.clientId, web.id);
      assert.deepEqual((await storage.consents.findConsent(user.id, web.id))?.scopes, ['documents:read']);

      if (storage.dialect === 'sqlite') {
        assert.deepEqual((await sql`pragma foreign_key_check`.execute(storage.db)).rows, []);
        for (const child of ['authorization_codes', 'grants', 'consents']) {
          const references = (await sql<{ table: string }>`select "table" from pragma_foreign_key_list(${child})`.execute(storage.db)).rows.map((row) => row.table);
          assert.ok(references.includes('clients'), `${child} still references clients: ${references.join(', ')}`);
        }
        const indexes = (await sql<{ name: string }>`select name from pragma_index_list('clients')`.execute(storage.db)).rows.map((row) => row.name);
        for (const index of ['clients_tenant_id', 'clients_epoch_revision']) assert.ok(indexes.includes(index), `${index}: ${indexes.join(', ')}`);
      }

      // The foreign keys still hold: to tenants from clients, to clients from their children.
      const newClient = (grantTypes: Client['grantTypes']) => ({
        id: uniqueId('client'), tenantId: tenant.id, name: 'App', isPublic: false, secretDigest: randomDigest(), grantTypes,
        scopes: ['documents:read'], defaultScopes: ['documents:read'], redirectUris: ['https://app.example.com/cb'], accessTokenTtl: null, resourceServer: false,
      });
      await assert.rejects(storage.clients.createClient({ ...newClient(['client_credentials']), tenantId: 'no-such-tenant' }));
      await assert.rejects(sql`insert into consents (user_id, client_id, scopes, tenants, created_at, updated_at) values (${user.id}, 'no-such-client', '', '', 0, 0)`.execute(storage.db));
      // And a client may now belong to no tenant.
      const operator = await storage.clients.createClient({ ...newClient(['client_credentials']), tenantId: null, scopes: ['gatehouse:admin'], defaultScopes: ['gatehouse:admin'], redirectUris: [] });
      assert.deepEqual([operator.tenantId, operator.tenantSlug, operator.tenantAccessTokenTtl, operator.tenantDisabled], [null, null, null, false]);
      assert.deepEqual(await storage.migrate(), [], 'nothing left to do');

      // Down: refused while an operator client exists; afterwards tenant_id is required again, and up works again.
      const down = async () => {
        const migrator = new Migrator({ db: storage.db, provider: migrationProvider });
        return (await migrator.migrateTo(MIGRATION_NAMES[MIGRATION_NAMES.indexOf(MIGRATION) + 1] ?? MIGRATION)).error ?? (await migrator.migrateDown()).error;
      };
      if (MIGRATION_NAMES.at(-1) === MIGRATION) {
        assert.match(String(await down()), /operator clients exist/);
        await storage.db.deleteFrom('clients').where('id', '=', operator.id).execute();
        assert.equal(await down(), undefined);
        await assert.rejects(sql`insert into clients (id, tenant_id, name, is_public, grant_types, scopes, default_scopes, redirect_uris, disabled, revocation_epoch, created_at, updated_at)
                                 values ('null-tenant', null, 'x', 0, '', '', '', '[]', 0, 0, 0, 0)`.execute(storage.db));
        if (storage.dialect === 'sqlite') assert.deepEqual((await sql`pragma foreign_key_check`.execute(storage.db)).rows, []);
        assert.deepEqual(await storage.migrate(), [MIGRATION]);
        assert.deepEqual(await storage.clients.findClient(web.id), webAfter);
      }
    });
  });
}
