/**
 * Connecting to the database a storage URL names: URL parsing (and redaction for logs),
 * the SQLite file with its pragmas and statement cache, the PostgreSQL pool.
 */
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type SqliteDatabase } from 'kysely';
import type pg from 'pg';
import { ValidationError } from '../../core/errors.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface SqlStorageOptions {
  clock?: () => number;
  /** PostgreSQL: the most connections the pool opens (default 10; GATEHOUSE_DATABASE_POOL_SIZE). */
  poolSize?: number;
  /** Told of each storage call that failed with a driver error (store/sql/guard.ts). */
  onQueryError?: (error: unknown) => void;
  /**
   * SQLite: how long, in all, a write retries while another process holds the lock, before
   * it fails with StorageUnavailableError (guard.ts; default DEFAULT_LOCK_WAIT, 2.5 s). The
   * retries wait on timers, so a longer wait holds up only the caller (the CLI's is longer).
   */
  lockWaitMs?: number;
}

/**
 * An open database: the Kysely handle, and the driver's own handle: for SQLite the raw
 * connection (migrations, data_version), for PostgreSQL the pool (the clients revision).
 */
export interface SqlConnection {
  db: Kysely<Database>;
  dialect: Dialect;
  sqlite?: BetterSqlite3.Database;
  /** The PostgreSQL pool (its counters are metrics: server/metrics.ts). */
  pool?: pg.Pool;
}

/** Parses a storage URL: `sqlite:<path>` or `postgres://…` / `postgresql://…`. */
export function parseDatabaseUrl(url: string): { dialect: 'sqlite'; path: string } | { dialect: 'postgres'; connectionString: string } {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw new ValidationError('invalid database URL "sqlite:": give a file path, e.g. sqlite:./data/gatehouse.db');
    return { dialect: 'sqlite', path };
  }
  if (/^postgres(ql)?:\/\//.test(url)) return { dialect: 'postgres', connectionString: url };
  throw new ValidationError(`unsupported database URL "${redactUrl(url)}": use sqlite:<path> or postgres://user@host:port/database`);
}

/** A database URL fit for a log line: the password is replaced. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.href;
  } catch {
    return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  }
}

/**
 * The PostgreSQL driver is loaded only when a postgres:// URL is opened: a server on the
 * SQLite default does not carry it in memory (docs/performance.md).
 */
function loadPg(): typeof pg {
  return createRequire(import.meta.url)('pg') as typeof pg;
}

export function openConnection(url: string, options: SqlStorageOptions): SqlConnection {
  const parsed = parseDatabaseUrl(url);
  if (parsed.dialect === 'sqlite') {
    if (parsed.path !== ':memory:' && !existsSync(parsed.path)) {
      // The database holds secret digests and sealed keys: readable by its owner only
      // (SQLite gives its -wal and -shm files the same mode).
      mkdirSync(dirname(parsed.path), { recursive: true, mode: 0o700 });
      closeSync(openSync(parsed.path, 'a', 0o600));
    }
    const database = new BetterSqlite3(parsed.path);
    // Opening serves no request yet: the pragmas may wait out a process that is opening
    // (or migrating) the same new file at the same time.
    database.pragma(`busy_timeout = ${SQLITE_STARTUP_BUSY_TIMEOUT_MS}`);
    // WAL lets the CLI write while the server reads: readers never wait on a writer.
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    database.pragma('foreign_keys = ON');
    // better-sqlite3 builds SQLite with a 16 MiB page cache (SQLite's own default is 2 MiB),
    // which fills up with grant and token pages under load. The hot reads (clients, keys)
    // are cached in the process and the OS caches the file: 4 MiB is plenty.
    database.pragma(`cache_size = -${SQLITE_PAGE_CACHE_KIB}`);
    // better-sqlite3 waits out busy_timeout synchronously, with the whole event loop: from
    // here on not at all (SQLITE_BUSY_TIMEOUT_MS). A write that finds the lock held is retried on
    // timers, up to a deadline, by the guard (guard.ts), then answered 503 with Retry-After.
    database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    return { db: new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) }), dialect: 'sqlite', sqlite: database };
  }
  const { Pool, types } = loadPg();
  // Limits (docs/performance.md, "PostgreSQL connections"): at most `poolSize` connections
  // per process (GATEHOUSE_DATABASE_POOL_SIZE); a query waits up to 5 s for one (→ 503).
  const pool = new Pool({
    connectionString: parsed.connectionString,
    max: options.poolSize ?? DEFAULT_POOL_SIZE,
    connectionTimeoutMillis: 5000,
    // An idle connection is closed after 30 s: a quiet process holds few.
    idleTimeoutMillis: 30_000,
    // A stuck query must fail (→ 503) rather than hold a request, or a feed poll, forever.
    statement_timeout: 10_000,
    // The same on this side: statement_timeout is enforced by the server, which never hears
    // of a query lost in a silent partition (no RST; test/cluster/database-outage.test.ts).
    query_timeout: 11_000,
    // A transaction left open (a stalled process) must not hold the clients revision's row
    // lock, and so every client change, for long: PostgreSQL ends its session.
    idle_in_transaction_session_timeout: 10_000,
    // bigint columns (epoch milliseconds) fit a JavaScript number; read them as one.
    types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === 20 ? Number : types.getTypeParser(oid, format as 'text'))) as typeof types.getTypeParser },
  });
  // A connection lost while idle, or while checked out for a query, must not crash the
  // process: the query in flight rejects (→ StorageUnavailableError) and the pool
  // discards the broken connection when it is released.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), dialect: 'postgres', pool };
}

/**
 * How long one SQLite statement may block the event loop waiting for a lock: not at all. A
 * busy statement fails at once and guard.ts retries it on timers (even 5 ms per attempt added
 * up, with many writers waiting, to a loop that mostly slept in SQLite's busy handler).
 */
export const SQLITE_BUSY_TIMEOUT_MS = 0;
/** The busy timeout of the steps before the server serves anything: opening the file, migrating. */
export const SQLITE_STARTUP_BUSY_TIMEOUT_MS = 5000;

/** PostgreSQL connections per process unless configured (config databasePoolSize). */
const DEFAULT_POOL_SIZE = 10;

/** SQLite's page cache per connection, in KiB (docs/performance.md, "Memory"). */
const SQLITE_PAGE_CACHE_KIB = 4096;

/** How many distinct SQL statements to keep prepared (the queries are a fixed set). */
const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely's SQLite driver prepares every query anew, and preparing is the most expensive
 * step of a better-sqlite3 query (a fifth of a token request's CPU in a profile). The
 * queries come from a fixed set of repository functions, so their SQL strings repeat:
 * keep the prepared statements, by SQL text. better-sqlite3 runs one statement at a time
 * on its connection, so reusing one is safe.
 */
function withStatementCache(database: BetterSqlite3.Database): SqliteDatabase {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => database.close(),
    prepare: (sql: string) => {
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = database.prepare(sql);
        if (statements.size < STATEMENT_CACHE_SIZE) statements.set(sql, statement);
      }
      return statement as unknown as ReturnType<SqliteDatabase['prepare']>;
    },
  };
}

/**
 * SQLite's `PRAGMA data_version` on this connection: it changes when another connection
 * (another process) commits to the database file. Undefined while this connection is inside
 * a transaction, whose snapshot it would show instead of the latest commit.
 */
export function dataVersionReader(database: BetterSqlite3.Database): () => number | undefined {
  const statement = database.prepare('PRAGMA data_version').pluck();
  return () => (database.inTransaction ? undefined : (statement.get() as number));
}

/**
 * PostgreSQL's `clients` revision (the client cache's reading: client-cache.ts), through
 * the pool without the query builder: the statement is named, so each connection parses
 * and plans it once. A failure (the database unreachable) rejects: the cache is unusable
 * then, never stale.
 */
export function clientsRevisionReader(pool: pg.Pool, text: string): () => Promise<number> {
  const query = { name: 'gatehouse_clients_revision', text };
  return async () => {
    const { rows } = await pool.query<{ value: number | string }>(query);
    if (rows.length !== 1) throw new Error('the clients revision counter is missing: run `gatehouse migrate`');
    return Number(rows[0]!.value);
  };
}
