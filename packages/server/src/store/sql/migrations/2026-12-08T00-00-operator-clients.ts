import { sql, SqliteAdapter, type ColumnDefinitionBuilder, type Kysely } from 'kysely';

// Frozen in time. Issue 14, operator clients: a client that belongs to no tenant
// (`tenant_id` null), whose `gatehouse:admin` tokens manage every tenant. The column
// becomes nullable; the foreign key to tenants stays (a tenant client still names a
// tenant that exists).
//
// PostgreSQL alters the column in place. SQLite cannot alter a column: the table is
// rebuilt, inside the migration run's transaction (store/sql/migrate.ts), where
// `PRAGMA foreign_keys = OFF` is a no-op. Renaming the old table away is no way out either:
// with foreign keys on, SQLite rewrites the REFERENCES of the child tables
// (authorization_codes, grants, consents) to follow the rename, even under
// `legacy_alter_table = ON`, and they would end up pointing at the dropped copy. So:
// `defer_foreign_keys` (which may be set inside a transaction; it ends with it) moves the
// foreign key checks to the commit; the rows are copied aside, `clients` is dropped (its
// implicit DELETE counts the child rows it orphans) and created again under the same
// name, so the children's REFERENCES still name it, and the rows are copied back (each
// parent row put back discounts its children). A child row left without its client would
// fail the commit, and the whole run rolls back.

const COLUMNS = [
  'id',
  'tenant_id',
  'name',
  'is_public',
  'secret_digest',
  'previous_secret_digest',
  'previous_secret_expires_at',
  'grant_types',
  'scopes',
  'default_scopes',
  'redirect_uris',
  'access_token_ttl',
  'disabled',
  'revocation_epoch',
  'created_at',
  'updated_at',
  'resource_server',
  'epoch_revision',
  'refresh_idle_ttl',
  'refresh_absolute_ttl',
  'refresh_grace',
  'deleted_at',
] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) {
    await sql`alter table clients alter column tenant_id drop not null`.execute(db);
    return;
  }
  await rebuildSqliteClients(db, (c) => c);
}

/** Back to a required tenant: refused while an operator client exists (its row would have nowhere to go). */
export async function down(db: Kysely<unknown>): Promise<void> {
  const operator = await sql<{ id: string }>`select id from clients where tenant_id is null limit 1`.execute(db);
  if (operator.rows.length > 0) throw new Error('operator clients exist: delete them (the rows, not softly) before reverting 2026-12-08T00-00-operator-clients');
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) {
    await sql`alter table clients alter column tenant_id set not null`.execute(db);
    return;
  }
  await rebuildSqliteClients(db, (c) => c.notNull());
}

/**
 * SQLite: the clients table created again with `tenant_id` as `tenantColumn` makes it, rows
 * and indexes kept. Inside a savepoint: within the migration run's transaction it nests;
 * run alone (Kysely's Migrator on SQLite opens no transaction) it is the transaction that
 * `defer_foreign_keys` needs, and its release is the commit that checks the keys.
 */
async function rebuildSqliteClients(db: Kysely<unknown>, tenantColumn: (column: ColumnDefinitionBuilder) => ColumnDefinitionBuilder): Promise<void> {
  await sql`savepoint operator_clients_rebuild`.execute(db);
  try {
    await rebuildInSavepoint(db, tenantColumn);
    await sql`release operator_clients_rebuild`.execute(db);
  } catch (error) {
    await sql`rollback to operator_clients_rebuild`.execute(db);
    await sql`release operator_clients_rebuild`.execute(db);
    throw error;
  }
}

async function rebuildInSavepoint(db: Kysely<unknown>, tenantColumn: (column: ColumnDefinitionBuilder) => ColumnDefinitionBuilder): Promise<void> {
  const columns = sql.join(COLUMNS.map((column) => sql.ref(column)));
  await sql`pragma defer_foreign_keys = on`.execute(db);
  await sql`create table clients_migration_copy as select ${columns} from clients`.execute(db);
  await db.schema.dropTable('clients').execute();
  await db.schema
    .createTable('clients')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => tenantColumn(c.references('tenants.id')))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('is_public', 'integer', (c) => c.notNull())
    .addColumn('secret_digest', 'text')
    .addColumn('previous_secret_digest', 'text')
    .addColumn('previous_secret_expires_at', 'bigint')
    .addColumn('grant_types', 'text', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('default_scopes', 'text', (c) => c.notNull())
    .addColumn('redirect_uris', 'text', (c) => c.notNull())
    .addColumn('access_token_ttl', 'integer')
    .addColumn('disabled', 'integer', (c) => c.notNull())
    .addColumn('revocation_epoch', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('resource_server', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('epoch_revision', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('refresh_idle_ttl', 'bigint', (c) => c.notNull().defaultTo(2_592_000))
    .addColumn('refresh_absolute_ttl', 'bigint', (c) => c.notNull().defaultTo(31_536_000))
    .addColumn('refresh_grace', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('deleted_at', 'bigint')
    .execute();
  await sql`insert into clients (${columns}) select ${columns} from clients_migration_copy`.execute(db);
  await db.schema.dropTable('clients_migration_copy').execute();
  // The indexes went with the old table (2026-11-23T00-00-initial, 2026-11-23T02-00-revocation-feed).
  await db.schema.createIndex('clients_tenant_id').on('clients').column('tenant_id').execute();
  await db.schema.createIndex('clients_epoch_revision').on('clients').column('epoch_revision').execute();
}
