import type { Kysely } from 'kysely';

// Frozen in time. The demo document API left the product (issue 13): it is an example app
// now (examples/document-api) and keeps its files in its own database under the data
// directory. Its old table goes; the files it listed were demo uploads, and their bytes
// (`<dataDir>/files/`) are left alone. Dropping a table drops its indexes on both dialects.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('demo_files').ifExists().execute();
}

/** Recreates the table as 2026-11-23T03-00-demo-files made it (empty). */
export async function down(db: Kysely<unknown>): Promise<void> {
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
