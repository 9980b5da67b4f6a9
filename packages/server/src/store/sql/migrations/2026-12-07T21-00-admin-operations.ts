import type { Kysely } from 'kysely';

// Frozen in time. Issue 14, admin operations: a deleted client is kept as a row with its
// deletion time (epoch ms; null: not deleted), so its id is never reused and the
// revocation feed can still tell resource servers that its tokens are revoked. A disabled
// tenant (0/1, like clients.disabled) keeps its clients from getting tokens.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('clients').addColumn('deleted_at', 'bigint').execute();
  await db.schema.alterTable('tenants').addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('tenants').dropColumn('disabled').execute();
  await db.schema.alterTable('clients').dropColumn('deleted_at').execute();
}
