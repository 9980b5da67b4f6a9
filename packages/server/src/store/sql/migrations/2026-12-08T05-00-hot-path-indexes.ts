import type { Kysely } from 'kysely';

// Frozen in time. Issue 15: every hot-path statement is an index lookup on both dialects
// (test/store/query-plans.test.ts). The key ring's reading of the published keys (`active`
// or retired after a cut-off) and the revocation feed's withdrawn keys (by revision) read
// signing_keys, which grows by one row per rotation: indexes for both.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('signing_keys_active').on('signing_keys').column('active').execute();
  await db.schema.createIndex('signing_keys_retired_at').on('signing_keys').column('retired_at').execute();
  await db.schema.createIndex('signing_keys_revision').on('signing_keys').column('revision').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('signing_keys_revision').execute();
  await db.schema.dropIndex('signing_keys_retired_at').execute();
  await db.schema.dropIndex('signing_keys_active').execute();
}
