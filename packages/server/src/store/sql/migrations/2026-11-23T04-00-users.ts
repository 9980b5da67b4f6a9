import type { Kysely } from 'kysely';

// Frozen in time. Users who log in (issue 4) and the tenants they belong to. Usernames
// are unique ignoring case: the lower-cased copy `username_normalized` carries the
// unique index, so two concurrent creations of "Alice" and "alice" cannot both succeed.
// Ids are generated in TypeScript.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('username_normalized', 'text', (c) => c.notNull().unique())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('revocation_epoch', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('user_tenants')
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('user_tenants_pk', ['user_id', 'tenant_id'])
    .execute();
  // listUsers(tenant) reads by tenant; the primary key serves lookups by user.
  await db.schema.createIndex('user_tenants_tenant_id').on('user_tenants').column('tenant_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('user_tenants_tenant_id').execute();
  await db.schema.dropTable('user_tenants').execute();
  await db.schema.dropTable('users').execute();
}
