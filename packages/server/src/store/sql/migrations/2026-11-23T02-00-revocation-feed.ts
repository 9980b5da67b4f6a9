import { sql, type Kysely } from 'kysely';

// Frozen in time. The revocation feed (docs/resource-server.md): a revision counter bumped,
// under its row lock, in the same transaction as every revocation, and the revision stamped
// on each revocation row; plus the resource-server flag on clients.
// SQLite accepts one ADD COLUMN per ALTER TABLE, hence one statement each.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('counters')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'bigint', (c) => c.notNull())
    .execute();
  await sql`insert into counters (name, value) values ('revocations', 0)`.execute(db);

  await db.schema.alterTable('clients').addColumn('resource_server', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('clients').addColumn('epoch_revision', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.createIndex('clients_epoch_revision').on('clients').column('epoch_revision').execute();

  await db.schema.alterTable('revoked_access_tokens').addColumn('revision', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.createIndex('revoked_access_tokens_revision').on('revoked_access_tokens').column('revision').execute();

  await db.schema.alterTable('signing_keys').addColumn('revision', 'bigint', (c) => c.notNull().defaultTo(0)).execute();

  // Revocations made before this migration belong to the feed too: they get revision 1,
  // so a follower starting from 0 receives them.
  await sql`update revoked_access_tokens set revision = 1`.execute(db);
  await sql`update clients set epoch_revision = 1 where revocation_epoch > 0`.execute(db);
  await sql`update signing_keys set revision = 1 where withdrawn_at is not null`.execute(db);
  await sql`update counters set value = 1 where name = 'revocations'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('signing_keys').dropColumn('revision').execute();
  await db.schema.dropIndex('revoked_access_tokens_revision').execute();
  await db.schema.alterTable('revoked_access_tokens').dropColumn('revision').execute();
  await db.schema.dropIndex('clients_epoch_revision').execute();
  await db.schema.alterTable('clients').dropColumn('epoch_revision').execute();
  await db.schema.alterTable('clients').dropColumn('resource_server').execute();
  await db.schema.dropTable('counters').execute();
}
