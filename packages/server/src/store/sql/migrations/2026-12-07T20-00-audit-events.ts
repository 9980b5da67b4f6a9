import type { Kysely } from 'kysely';

// Frozen in time. The audit log (issue 14): admin actions and security events. Ids are
// generated in TypeScript; details are JSON text; times are epoch ms. Indexes serve the
// listing (newest first, optionally for one tenant) and the pruning by time.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('time', 'bigint', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('tenant', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('details', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_events_time').on('audit_events').columns(['time', 'id']).execute();
  await db.schema.createIndex('audit_events_tenant_time').on('audit_events').columns(['tenant', 'time', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_events').execute();
}
