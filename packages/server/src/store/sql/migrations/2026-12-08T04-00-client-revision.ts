import { PostgresAdapter, sql, type Kysely } from 'kysely';

// Frozen in time. Issue 15, the PostgreSQL client cache (store/sql/client-cache.ts): a
// `clients` revision in the counters table, bumped in the same transaction as every change
// to what findClient answers (a client row, or its tenant's slug, lifetime or disabled
// flag). The store bumps it first thing in each such transaction (one lock order: this
// counter, then the revocations counter, then rows). On PostgreSQL statement-level
// triggers bump it too, for writers outside the store (SQL run by hand, a bulk loader),
// so no committed change can go unseen; SQLite needs neither (its cache reads
// `PRAGMA data_version`).

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`insert into counters (name, value) values ('clients', 0)`.execute(db);
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`
    create function gatehouse_bump_clients_revision() returns trigger language plpgsql as $$
    begin
      update counters set value = value + 1 where name = 'clients';
      return null;
    end
    $$`.execute(db);
  await sql`create trigger clients_revision after insert or update or delete on clients for each statement execute function gatehouse_bump_clients_revision()`.execute(db);
  await sql`create trigger clients_revision_truncate after truncate on clients for each statement execute function gatehouse_bump_clients_revision()`.execute(db);
  await sql`create trigger tenants_clients_revision after update of slug, access_token_ttl, disabled or delete on tenants for each statement execute function gatehouse_bump_clients_revision()`.execute(db);
  await sql`create trigger tenants_clients_revision_truncate after truncate on tenants for each statement execute function gatehouse_bump_clients_revision()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`drop trigger tenants_clients_revision_truncate on tenants`.execute(db);
    await sql`drop trigger tenants_clients_revision on tenants`.execute(db);
    await sql`drop trigger clients_revision_truncate on clients`.execute(db);
    await sql`drop trigger clients_revision on clients`.execute(db);
    await sql`drop function gatehouse_bump_clients_revision()`.execute(db);
  }
  await sql`delete from counters where name = 'clients'`.execute(db);
}
