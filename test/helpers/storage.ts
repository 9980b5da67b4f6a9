/**
 * Fresh storages for the storage contract suites: an empty database of one STORAGE_TARGETS
 * backend, in a temporary directory of its own, opened (and by default migrated); close()
 * closes every storage opened on it, then drops the database and removes the directory.
 */
import { createHash, randomBytes } from 'node:crypto';
import { openSqlStorage, type SqlStorage, type SqlStorageOptions } from '../../packages/server/src/store/sql/index.js';
import type { StorageTarget } from './postgres.js';
import { createTempDir } from './temp-dir.js';

export interface FreshStorageOptions extends SqlStorageOptions {
  /** Names the temporary directory: gatehouse-<prefix>-<target>-XXXXXX. */
  prefix: string;
  /** Apply every migration before handing the storage out (default true); false leaves the database empty. */
  migrate?: boolean;
}

export interface FreshStorage {
  storage: SqlStorage;
  /** The database URL, for a second process or a raw connection (row locks). */
  url: string;
  /** What migrate() applied when the storage was opened ([] with `migrate: false`). */
  migrationsApplied: string[];
  /** Another storage on the same database (another process, as it were), with the first one's options unless `options` are given; close() closes it too. */
  openAnother(options?: SqlStorageOptions): SqlStorage;
  /** Closes every storage opened on the database, last opened first, then drops the database and removes the directory. */
  close(): Promise<void>;
}

/** An empty database of `target`, and a storage opened on it. */
export async function openFreshStorage(target: StorageTarget, options: FreshStorageOptions): Promise<FreshStorage> {
  const { prefix, migrate = true, ...storageOptions } = options;
  const dir = createTempDir(`gatehouse-${prefix}-${target.name}-`);
  let database: Awaited<ReturnType<StorageTarget['create']>>;
  try {
    database = await target.create(dir.path);
  } catch (error) {
    dir.remove();
    throw error;
  }
  const opened: SqlStorage[] = [];
  const openAnother = (another: SqlStorageOptions = storageOptions): SqlStorage => {
    const storage = openSqlStorage(database.url, another);
    opened.push(storage);
    return storage;
  };
  const close = async (): Promise<void> => {
    try {
      for (const storage of opened.splice(0).reverse()) await storage.close();
      await database.cleanup();
    } finally {
      dir.remove();
    }
  };
  const storage = openAnother();
  let migrationsApplied: string[] = [];
  if (migrate) {
    try {
      migrationsApplied = await storage.migrate();
    } catch (error) {
      await close();
      throw error;
    }
  }
  return { storage, url: database.url, migrationsApplied, openAnother, close };
}

/** Closes fresh storages, last opened first (for suites that open several). */
export async function closeFreshStorages(fresh: FreshStorage[]): Promise<void> {
  for (const each of fresh.splice(0).reverse()) await each.close();
}

/** `<prefix>-<12 hex digits>` (or another separator): a name no other test run uses. */
export const uniqueId = (prefix: string, separator = '-') => `${prefix}${separator}${randomBytes(6).toString('hex')}`;

/** A random SHA-256 digest, base64url: the shape of a stored code or token digest. */
export const randomDigest = () => createHash('sha256').update(randomBytes(32)).digest('base64url');
