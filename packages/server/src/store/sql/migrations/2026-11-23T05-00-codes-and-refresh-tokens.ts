import type { Kysely } from 'kysely';

// Frozen in time. The authorization code grant (RFC 6749 §4.1, RFC 7636) and rotating
// refresh tokens (RFC 6749 §6, RFC 9700 §4.14): codes and refresh tokens are stored only as
// digests; a grant is the family every token of one code exchange belongs to. Times are
// epoch milliseconds; lists are space-delimited. `user_id` is plain text on purpose: this
// migration does not depend on the users table.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('authorization_codes')
    .addColumn('code_digest', 'text', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id'))
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('redirect_uri', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('tenants', 'text', (c) => c.notNull())
    .addColumn('code_challenge', 'text')
    .addColumn('code_challenge_method', 'text')
    .addColumn('auth_time', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('consumed_at', 'bigint')
    // Set when a replay of the code was detected: a grant created from it afterwards is
    // born revoked (the exchange and the replay may race).
    .addColumn('grant_revoked_at', 'bigint')
    .execute();
  // Pruning: codes consumed, or expired, some time ago.
  await db.schema.createIndex('authorization_codes_expires_at').on('authorization_codes').column('expires_at').execute();
  await db.schema.createIndex('authorization_codes_consumed_at').on('authorization_codes').column('consumed_at').execute();

  await db.schema
    .createTable('grants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id'))
    .addColumn('user_id', 'text', (c) => c.notNull())
    // One grant per code exchange; code replay finds the grant by it.
    .addColumn('code_digest', 'text', (c) => c.notNull().unique())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('tenants', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('absolute_expires_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    // The revocation revision of the revocation (0: not revoked), for the feed.
    .addColumn('revision', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('grants_revision').on('grants').column('revision').execute();
  await db.schema.createIndex('grants_absolute_expires_at').on('grants').column('absolute_expires_at').execute();

  await db.schema
    .createTable('refresh_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_digest', 'text', (c) => c.notNull().unique())
    .addColumn('grant_id', 'text', (c) => c.notNull().references('grants.id'))
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('idle_expires_at', 'bigint', (c) => c.notNull())
    .addColumn('rotated_at', 'bigint')
    .addColumn('replaced_by', 'text')
    .execute();
  await db.schema.createIndex('refresh_tokens_grant_id').on('refresh_tokens').column('grant_id').execute();
  await db.schema.createIndex('refresh_tokens_idle_expires_at').on('refresh_tokens').column('idle_expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('refresh_tokens_idle_expires_at').execute();
  await db.schema.dropIndex('refresh_tokens_grant_id').execute();
  await db.schema.dropTable('refresh_tokens').execute();
  await db.schema.dropIndex('grants_absolute_expires_at').execute();
  await db.schema.dropIndex('grants_revision').execute();
  await db.schema.dropTable('grants').execute();
  await db.schema.dropIndex('authorization_codes_consumed_at').execute();
  await db.schema.dropIndex('authorization_codes_expires_at').execute();
  await db.schema.dropTable('authorization_codes').execute();
}
