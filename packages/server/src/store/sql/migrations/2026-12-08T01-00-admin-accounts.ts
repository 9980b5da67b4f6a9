import type { Kysely } from 'kysely';

// Frozen in time. Issue 14: operator and tenant-admin accounts, apart from the end users.
// Usernames are unique ignoring case (the lower-cased copy carries the unique index).
// tenant_id null: an operator. The TOTP secret is sealed (AES-256-GCM) with a key derived
// from the master key; totp_last_step refuses a code used twice (RFC 6238 §5.2).
// Recovery codes are kept only as HMAC digests, one row each, deleted when used.
// Ids are generated in TypeScript.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('admin_accounts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('username_normalized', 'text', (c) => c.notNull().unique())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'text', (c) => c.references('tenants.id'))
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('totp_secret_sealed', 'text')
    .addColumn('totp_last_step', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('last_sign_in_at', 'bigint')
    .execute();
  await db.schema.createIndex('admin_accounts_tenant_id').on('admin_accounts').column('tenant_id').execute();

  await db.schema
    .createTable('admin_recovery_codes')
    .addColumn('account_id', 'text', (c) => c.notNull().references('admin_accounts.id').onDelete('cascade'))
    .addColumn('code_digest', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('admin_recovery_codes_pk', ['account_id', 'code_digest'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('admin_recovery_codes').execute();
  await db.schema.dropIndex('admin_accounts_tenant_id').execute();
  await db.schema.dropTable('admin_accounts').execute();
}
