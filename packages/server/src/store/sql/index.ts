/**
 * The SQL store (Kysely; SQLite embedded, PostgreSQL for clusters): connection.ts opens
 * the database a URL names, guard.ts turns driver failures into StorageUnavailableError,
 * migrate.ts runs the migrations, assembly.ts builds the Storage from the repositories.
 */
export { parseDatabaseUrl, redactUrl, type Dialect, type SqlStorageOptions } from './connection.js';
export { openSqlStorage, type SqlStorage } from './assembly.js';
