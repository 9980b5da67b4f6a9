import type { Kysely } from 'kysely';

// Frozen in time. Per-client refresh token settings (RFC 6749 §6, RFC 9700 §4.14), in
// seconds: idle lifetime (default 30 days), absolute lifetime of a grant (default 1 year),
// grace window for a rotated token presented again (default 0: none). bigint: decades of
// seconds do not fit a 32-bit integer.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('clients').addColumn('refresh_idle_ttl', 'bigint', (c) => c.notNull().defaultTo(2_592_000)).execute();
  await db.schema.alterTable('clients').addColumn('refresh_absolute_ttl', 'bigint', (c) => c.notNull().defaultTo(31_536_000)).execute();
  await db.schema.alterTable('clients').addColumn('refresh_grace', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('clients').dropColumn('refresh_grace').execute();
  await db.schema.alterTable('clients').dropColumn('refresh_absolute_ttl').execute();
  await db.schema.alterTable('clients').dropColumn('refresh_idle_ttl').execute();
}
