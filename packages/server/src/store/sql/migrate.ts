/** The migration runner: applies the product's migrations (./migrations) and reports their status. */
import { Migrator, type Kysely } from 'kysely';
import type BetterSqlite3 from 'better-sqlite3';
import { SQLITE_STARTUP_BUSY_TIMEOUT_MS } from './connection.js';
import { migrationProvider } from './migrations/index.js';
import type { Database } from './schema.js';

/**
 * Applies every pending migration; returns the names applied. `sqlite` is the raw
 * connection when the database is SQLite.
 */
export async function migrateToLatest(db: Kysely<Database>, sqlite: BetterSqlite3.Database | undefined): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  // PostgreSQL: Kysely takes an advisory lock and runs each migration in a
  // transaction. SQLite: it does neither, so two processes starting on a fresh file
  // would both migrate; one IMMEDIATE transaction around the run serialises them
  // (the second waits, then finds nothing to do) and makes the run all-or-nothing.
  // Migrating precedes serving, so the wait may be a synchronous one (the startup busy
  // timeout); the connection goes back to its short one at once.
  if (sqlite) beginImmediateWaiting(sqlite);
  try {
    const { error, results } = await migrator.migrateToLatest();
    if (error) throw error;
    if (sqlite) sqlite.exec('COMMIT');
    return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
  } finally {
    if (sqlite?.inTransaction) sqlite.exec('ROLLBACK');
  }
}

function beginImmediateWaiting(sqlite: BetterSqlite3.Database): void {
  const previous = sqlite.pragma('busy_timeout', { simple: true }) as number;
  sqlite.pragma(`busy_timeout = ${SQLITE_STARTUP_BUSY_TIMEOUT_MS}`);
  try {
    sqlite.exec('BEGIN IMMEDIATE');
  } finally {
    sqlite.pragma(`busy_timeout = ${previous}`);
  }
}

/** Which migrations have run and which are pending (nothing is changed). */
export async function readMigrationStatus(db: Kysely<Database>): Promise<{ applied: string[]; pending: string[] }> {
  const migrations = await new Migrator({ db, provider: migrationProvider }).getMigrations();
  return {
    applied: migrations.filter((m) => m.executedAt !== undefined).map((m) => m.name),
    pending: migrations.filter((m) => m.executedAt === undefined).map((m) => m.name),
  };
}
