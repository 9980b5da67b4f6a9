import type { Kysely } from 'kysely';

// Frozen in time. The demo document API (src/demo): file metadata, one row per file; the
// bytes live under the data directory. Ids (and public ids) are generated in TypeScript.
// `public_id` is NULL until the file is published; both dialects allow any number of
// NULLs under a unique constraint.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('demo_files')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('public_id', 'text', (c) => c.unique())
    .execute();
  await db.schema.createIndex('demo_files_tenant_created').on('demo_files').columns(['tenant_id', 'created_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('demo_files_tenant_created').execute();
  await db.schema.dropTable('demo_files').execute();
}
