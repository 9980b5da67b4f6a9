import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type SqliteDatabase } from 'kysely';
import type pg from 'pg';
import { ConflictError, NotFoundError, StorageUnavailableError, ValidationError } from '../../core/errors.js';
import type { Storage } from '../../core/storage.js';
import { ClientCache } from './client-cache.js';
import { migrationProvider } from './migrations/index.js';
import * as clients from './repositories/clients.js';
import * as codes from './repositories/codes.js';
import * as consents from './repositories/consents.js';
import * as files from './repositories/files.js';
import * as grants from './repositories/grants.js';
import * as keys from './repositories/keys.js';
import * as refreshTokens from './repositories/refresh-tokens.js';
import * as revocations from './repositories/revocations.js';
import * as scopes from './repositories/scopes.js';
import * as settings from './repositories/settings.js';
import * as tenants from './repositories/tenants.js';
import * as users from './repositories/users.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface SqlStorageOptions {
  clock?: () => number;
  /** PostgreSQL pool size (default 10). */
  poolSize?: number;
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

function createKysely(url: string, options: SqlStorageOptions): { db: Kysely<Database>; dialect: Dialect; sqlite?: BetterSqlite3.Database } {
  const parsed = parseDatabaseUrl(url);
  if (parsed.dialect === 'sqlite') {
    if (parsed.path !== ':memory:' && !existsSync(parsed.path)) {
      // The database holds secret digests and sealed keys: readable by its owner only
      // (SQLite gives its -wal and -shm files the same mode).
      mkdirSync(dirname(parsed.path), { recursive: true, mode: 0o700 });
      closeSync(openSync(parsed.path, 'a', 0o600));
    }
    const database = new BetterSqlite3(parsed.path);
    // WAL lets the CLI write while the server reads; busy_timeout waits out a writer.
    database.pragma('journal_mode = WAL');
    database.pragma('busy_timeout = 5000');
    database.pragma('synchronous = NORMAL');
    database.pragma('foreign_keys = ON');
    // better-sqlite3 builds SQLite with a 16 MiB page cache (SQLite's own default is 2 MiB),
    // which fills up with grant and token pages under load. The hot reads (clients, keys)
    // are cached in the process and the OS caches the file: 4 MiB is plenty.
    database.pragma(`cache_size = -${SQLITE_PAGE_CACHE_KIB}`);
    return { db: new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) }), dialect: 'sqlite', sqlite: database };
  }
  const { Pool, types } = loadPg();
  const pool = new Pool({
    connectionString: parsed.connectionString,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5000,
    // A stuck query must fail (→ 503) rather than hold a request, or a feed poll, forever.
    statement_timeout: 10_000,
    // bigint columns (epoch milliseconds) fit a JavaScript number; read them as one.
    types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === 20 ? Number : types.getTypeParser(oid, format as 'text'))) as typeof types.getTypeParser },
  });
  // A connection lost while idle, or while checked out for a query, must not crash the
  // process: the query in flight rejects (→ StorageUnavailableError) and the pool
  // discards the broken connection when it is released.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), dialect: 'postgres' };
}

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
function dataVersionReader(database: BetterSqlite3.Database): () => number | undefined {
  const statement = database.prepare('PRAGMA data_version').pluck();
  return () => (database.inTransaction ? undefined : (statement.get() as number));
}

/**
 * Wraps each async method so that a driver failure surfaces as StorageUnavailableError
 * (503 for clients) while the domain errors (conflict, not found, validation) pass through.
 */
function guarded<T extends object>(target: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(target)) {
    wrapped[name] =
      typeof value === 'function'
        ? async (...args: unknown[]) => {
            try {
              return await (value as (...a: unknown[]) => Promise<unknown>)(...args);
            } catch (error) {
              if (error instanceof ConflictError || error instanceof NotFoundError || error instanceof ValidationError) throw error;
              throw new StorageUnavailableError(error);
            }
          }
        : value;
  }
  return wrapped as T;
}

export interface SqlStorage extends Storage {
  readonly dialect: Dialect;
  /** The Kysely handle, for tests and migrations tooling. */
  readonly db: Kysely<Database>;
}

/** Opens the storage named by `url` (a SQLite file and its directory are created at once). */
export function openSqlStorage(url: string, options: SqlStorageOptions = {}): SqlStorage {
  const { db, dialect, sqlite } = createKysely(url, options);
  const clock = options.clock ?? Date.now;
  let closed = false;
  const clientCache = sqlite ? new ClientCache(dataVersionReader(sqlite)) : undefined;
  /** A write to the clients table: the cache (SQLite) forgets before and after it. */
  const writingClients = async <T>(write: () => Promise<T>): Promise<T> => {
    clientCache?.invalidate();
    try {
      return await write();
    } finally {
      clientCache?.invalidate();
    }
  };
  return {
    dialect,
    db,
    tenants: guarded({
      createTenant: (input) => tenants.createTenant(db, input, clock()),
      findTenantBySlug: (slug) => tenants.findTenantBySlug(db, slug),
      listTenants: () => tenants.listTenants(db),
    }),
    users: guarded({
      createUser: async (input) => {
        const id = await db.transaction().execute((trx) => users.createUser(trx, input, clock()));
        return (await users.findUser(db, id))!;
      },
      findUser: (userId) => users.findUser(db, userId),
      findUserByUsername: (username) => users.findUserByUsername(db, username),
      addUserToTenant: (userId, tenantId) => users.addUserToTenant(db, userId, tenantId, clock()),
      listUsers: (tenantId) => users.listUsers(db, tenantId),
      setPassword: async (userId, passwordHash) => ((await users.setPassword(db, userId, passwordHash, clock())) ? users.findUser(db, userId) : undefined),
      setDisabled: async (userId, disabled) => ((await users.setDisabled(db, userId, disabled, clock())) ? users.findUser(db, userId) : undefined),
    }),
    clients: guarded({
      createClient: (input) =>
        writingClients(async () => {
          await db.transaction().execute((trx) => clients.createClient(trx, input, clock()));
          return (await clients.findClient(db, input.id))!;
        }),
      findClient: (clientId) => (clientCache ? clientCache.find(clientId, (id) => clients.findClient(db, id)) : clients.findClient(db, clientId)),
      listClients: (tenantId) => clients.listClients(db, tenantId),
      updateClientSecret: (clientId, change) =>
        writingClients(async () => {
          const outcome = await db.transaction().execute(async (trx) => {
            const result = await clients.updateClientSecret(trx, clientId, change, clock());
            // Thrown inside the transaction: the revision bump rolls back with it.
            if (result === 'changed') throw new ConflictError(`the secret of client ${clientId} was changed by another operation at the same time; run the command again`);
            return result;
          });
          return outcome === 'updated' ? clients.findClient(db, clientId) : undefined;
        }),
      setClientDisabled: (clientId, disabled) =>
        writingClients(async () => {
          const found = await db.transaction().execute((trx) => clients.setClientDisabled(trx, clientId, disabled, clock()));
          return found ? clients.findClient(db, clientId) : undefined;
        }),
      longestAccessTokenTtl: () => clients.longestAccessTokenTtl(db),
    }),
    scopes: guarded({
      listScopes: (tenantId) => scopes.listScopes(db, tenantId),
      listScopeNames: () => scopes.listScopeNames(db),
      upsertScope: (tenantId, name, description) => scopes.upsertScope(db, tenantId, name, description, clock()),
    }),
    keys: guarded({
      listPublishedKeys: (retiredAfter) => keys.listPublishedKeys(db, retiredAfter),
      activateKey: (key, now) => db.transaction().execute((trx) => keys.activateKey(trx, key, now, dialect)),
      withdrawKey: (kid, now) => db.transaction().execute((trx) => keys.withdrawKey(trx, kid, now)),
    }),
    settings: guarded({
      getSetting: (name) => settings.getSetting(db, name),
      putSettingIfAbsent: (name, value) => settings.putSettingIfAbsent(db, name, value),
    }),
    revocations: guarded({
      revokeAccessToken: (entry) => db.transaction().execute((trx) => revocations.revokeAccessToken(trx, entry)),
      isAccessTokenRevoked: (jti) => revocations.isAccessTokenRevoked(db, jti),
      pruneRevokedAccessTokens: (nowSeconds) => revocations.pruneRevokedAccessTokens(db, nowSeconds),
      readChanges: (since, notExpiredBefore) => revocations.readChanges(db, since, notExpiredBefore),
    }),
    files: guarded({
      createFile: (tenantId, input) => files.createFile(db, tenantId, input, clock()),
      findFile: (tenantId, id) => files.findFile(db, tenantId, id),
      listFiles: (tenantId) => files.listFiles(db, tenantId),
      deleteFile: (tenantId, id) => files.deleteFile(db, tenantId, id),
      publishFile: (tenantId, id, publicId) => files.publishFile(db, tenantId, id, publicId),
      unpublishFile: (tenantId, id) => files.unpublishFile(db, tenantId, id),
    }),
    publishedFiles: guarded({
      findPublishedFile: (publicId) => files.findPublishedFile(db, publicId),
    }),
    // --- Authorization codes, grants and refresh tokens (issue 4) ---
    codes: guarded({
      createCode: (input) => codes.createCode(db, input),
      consumeCode: (codeDigest, now) => codes.consumeCode(db, codeDigest, now),
      pruneExpired: (now) => codes.pruneExpiredCodes(db, now),
    }),
    grants: guarded({
      createGrant: (input) => db.transaction().execute((trx) => grants.createGrant(trx, input)),
      findGrant: (id) => grants.findGrant(db, id),
      revokeGrant: async (id, now) => {
        await db.transaction().execute((trx) => grants.revokeGrant(trx, id, now)).catch(grants.ignoreNothingRevoked);
        return grants.findGrant(db, id);
      },
      revokeGrantByCode: async (codeDigest, now) => {
        await db.transaction().execute((trx) => grants.revokeGrantByCode(trx, codeDigest, now)).catch(grants.ignoreNothingRevoked);
        return grants.findGrantByCode(db, codeDigest);
      },
      revokeGrantsOfUser: async (userId, now) => {
        try {
          return await db.transaction().execute((trx) => grants.revokeGrantsOfUser(trx, userId, now));
        } catch (error) {
          grants.ignoreNothingRevoked(error);
          return 0;
        }
      },
    }),
    refreshTokens: guarded({
      createRefreshToken: (input) => refreshTokens.createRefreshToken(db, input),
      findRefreshToken: (tokenDigest) => refreshTokens.findRefreshToken(db, tokenDigest),
      rotateRefreshToken: (rotation) => db.transaction().execute((trx) => refreshTokens.rotateRefreshToken(trx, rotation)),
      pruneExpired: (now) => refreshTokens.pruneExpiredRefreshTokens(db, now),
    }),
    // --- end of codes, grants and refresh tokens ---
    consents: guarded({
      findConsent: (userId, clientId) => consents.findConsent(db, userId, clientId),
      saveConsent: (input) => consents.saveConsent(db, input, clock()),
    }),
    ...guarded({
      ping: async () => {
        await sql`select 1`.execute(db);
      },
      migrate: async () => {
        const migrator = new Migrator({ db, provider: migrationProvider });
        // PostgreSQL: Kysely takes an advisory lock and runs each migration in a
        // transaction. SQLite: it does neither, so two processes starting on a fresh file
        // would both migrate; one IMMEDIATE transaction around the run serialises them
        // (the second waits on busy_timeout, then finds nothing to do) and makes the run
        // all-or-nothing.
        if (sqlite) sqlite.exec('BEGIN IMMEDIATE');
        try {
          const { error, results } = await migrator.migrateToLatest();
          if (error) throw error;
          if (sqlite) sqlite.exec('COMMIT');
          return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
        } finally {
          if (sqlite?.inTransaction) sqlite.exec('ROLLBACK');
        }
      },
      migrationStatus: async () => {
        const migrations = await new Migrator({ db, provider: migrationProvider }).getMigrations();
        return {
          applied: migrations.filter((m) => m.executedAt !== undefined).map((m) => m.name),
          pending: migrations.filter((m) => m.executedAt === undefined).map((m) => m.name),
        };
      },
    }),
    close: async () => {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}
