import type { Kysely } from 'kysely';

// Frozen in time. Issue 14, sign-in sessions: one table for end users' sessions
// (kind 'user': /oauth/authorize, /account) and admins' (kind 'admin': /admin). The token
// is stored only as an HMAC digest keyed from the master key. Times are epoch ms. No
// foreign key on subject_id: it names a user or an admin account, by kind.
// Grants learn when they were last used (code exchange, refresh; null before this migration).

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_digest', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('idle_expires_at', 'bigint', (c) => c.notNull())
    .addColumn('absolute_expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sessions_subject').on('sessions').columns(['kind', 'subject_id']).execute();
  await db.schema.createIndex('sessions_idle_expiry').on('sessions').column('idle_expires_at').execute();
  await db.schema.alterTable('grants').addColumn('last_used_at', 'bigint').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('grants').dropColumn('last_used_at').execute();
  await db.schema.dropTable('sessions').execute();
}
