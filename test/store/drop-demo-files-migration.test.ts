/**
 * The forward migration 2026-12-07T00-00-drop-demo-files: the demo document API left the
 * product's schema (it keeps its files in its own database now). A database set up by the
 * older migrations, with a demo file in it, migrates forward cleanly and keeps working,
 * on every backend in STORAGE_TARGETS.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Migrator, sql } from 'kysely';
import { migrationProvider, MIGRATION_NAMES } from '../../packages/server/src/store/sql/migrations/index.js';
import type { SqlStorage } from '../../packages/server/src/store/sql/index.js';
import { STORAGE_TARGETS } from '../helpers/postgres.js';
import { openFreshStorage, type FreshStorage } from '../helpers/storage.js';

const LAST_WITH_DEMO_FILES = '2026-11-23T07-00-consents';

for (const target of STORAGE_TARGETS) {
  describe(`migration: drop demo_files (${target.name})`, { skip: target.skip }, () => {
    let fresh: FreshStorage;
    let storage: SqlStorage;

    before(async () => {
      fresh = await openFreshStorage(target, { prefix: 'migrate', migrate: false });
      storage = fresh.storage;
    });
    after(() => fresh?.close());

    it('a database with a demo file, migrated by the old migrations, migrates forward and keeps its data', async () => {
      const { error } = await new Migrator({ db: storage.db, provider: migrationProvider }).migrateTo(LAST_WITH_DEMO_FILES);
      assert.equal(error, undefined);
      const now = Date.now();
      await sql`insert into tenants (id, slug, name, access_token_ttl, created_at) values ('t1', 'acme', 'Acme', null, ${now})`.execute(storage.db);
      await sql`insert into demo_files (id, tenant_id, name, size, content_type, created_at, public_id)
                values ('00000000-0000-4000-8000-000000000001', 't1', 'old.txt', 3, 'text/plain', ${now}, '00000000-0000-4000-8000-000000000002')`.execute(storage.db);
      // The drop comes next; later migrations (e.g. the audit log) follow it.
      const fromDrop = MIGRATION_NAMES.slice(MIGRATION_NAMES.indexOf('2026-12-07T00-00-drop-demo-files'));
      assert.equal(fromDrop[0], '2026-12-07T00-00-drop-demo-files');
      assert.deepEqual((await storage.migrationStatus()).pending, fromDrop);

      assert.deepEqual(await storage.migrate(), fromDrop);
      assert.deepEqual(await storage.migrationStatus(), { applied: [...MIGRATION_NAMES], pending: [] });
      const tables = (await storage.db.introspection.getTables()).map((table) => table.name);
      assert.ok(!tables.includes('demo_files'), `demo_files is gone: ${tables.join(', ')}`);
      assert.equal((await storage.tenants.findTenantBySlug('acme'))?.name, 'Acme', 'the rest of the data stays');
      await storage.tenants.createTenant({ slug: 'after', name: 'After', accessTokenTtl: null });
      assert.deepEqual(await storage.migrate(), [], 'nothing left to do');
    });
  });
}
