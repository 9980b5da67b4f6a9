/**
 * A consistent online copy of the SQLite database (`gatehouse backup`): SQLite's
 * `VACUUM INTO` reads the whole database inside one read transaction, so the copy is the
 * database as of one commit, while the servers go on writing (in WAL mode a reader never
 * blocks a writer). Copying the file with cp instead could catch a page written half-way,
 * or miss the commits still in the -wal file.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, linkSync, openSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { ConflictError, StorageUnavailableError, ValidationError } from '../../core/errors.js';

export interface SqliteBackup {
  /** Absolute path of the copy. */
  file: string;
  /** Its size in bytes. */
  bytes: number;
  /** Absolute path of the database copied. */
  database: string;
}

/** SQLite's answers that mean "try again later", not "this file is wrong". */
const BUSY_CODES = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_BUSY_RECOVERY']);

/**
 * Copies the SQLite database at `source` to `destination`, readable by its owner only
 * (mode 0600: it holds the client-secret digests and the sealed signing keys). The copy is
 * written to a private temporary file beside `destination` and moved into place when
 * complete, so an interrupted backup never leaves a partial file under the given name.
 * An existing `destination` is refused (ConflictError) unless `force`.
 */
export function backupSqliteDatabase(source: string, destination: string, options: { force?: boolean } = {}): SqliteBackup {
  const database = resolve(source);
  const file = resolve(destination);
  const directory = dirname(file);
  if (!existsSync(directory) || !statSync(directory).isDirectory()) throw new ValidationError(`cannot write the backup to ${file}: the directory ${directory} does not exist`);
  if (existsSync(file)) {
    const existing = statSync(file);
    if (existing.isDirectory()) throw new ValidationError(`${file} is a directory: give the backup's file name, e.g. ${join(file, 'gatehouse-backup.db')}`);
    // Replacing the live database (or its -wal/-shm) with its own copy would lose every
    // commit made meanwhile: never, not even with --force.
    for (const live of [database, `${database}-wal`, `${database}-shm`]) {
      if (!existsSync(live)) continue;
      const other = statSync(live);
      if (other.dev === existing.dev && other.ino === existing.ino) throw new ValidationError(`${file} is the database itself (or one of its files): give another file name for the backup`);
    }
    if (!options.force) throw new ConflictError(`${file} already exists: choose another name, or pass --force to replace it`);
  }

  let connection: BetterSqlite3.Database | undefined;
  const temporary = join(directory, `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let written = false;
  try {
    try {
      connection = new BetterSqlite3(database, { fileMustExist: true });
      connection.pragma('busy_timeout = 5000');
      const isGatehouse = connection.prepare("select count(*) from sqlite_master where type = 'table' and name = 'kysely_migration'").pluck().get() as number;
      if (isGatehouse === 0) throw new ValidationError(`${database} is not a Gatehouse database (it has no migration table)`);
      // VACUUM INTO writes into an empty file that exists: create it private first, so the
      // copy is never readable by others, whatever the umask.
      closeSync(openSync(temporary, 'wx', 0o600));
      written = true;
      connection.prepare('VACUUM INTO ?').run(temporary);
    } catch (error) {
      throw sqliteFailure(error, database);
    }
    // VACUUM INTO does not sync its output: make the copy durable before it takes the name.
    const descriptor = openSync(temporary, 'r+');
    try {
      fsyncSync(descriptor);
    } finally {
      closeSync(descriptor);
    }
    if (options.force) {
      renameSync(temporary, file);
    } else {
      try {
        // link() fails if the name appeared meanwhile: nothing is ever overwritten without --force.
        linkSync(temporary, file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new ConflictError(`${file} already exists: choose another name, or pass --force to replace it`);
        throw error;
      }
    }
    syncDirectory(directory);
    return { file, bytes: statSync(file).size, database };
  } finally {
    connection?.close();
    if (written && existsSync(temporary)) unlinkSync(temporary);
  }
}

function sqliteFailure(error: unknown, database: string): unknown {
  if (error instanceof ValidationError) return error;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && BUSY_CODES.has(code)) return new StorageUnavailableError(error);
  if (code === 'SQLITE_NOTADB') return new ValidationError(`${database} is not a SQLite database`);
  if (code === 'SQLITE_CANTOPEN') return new ValidationError(`cannot open the database ${database}`);
  if (code === 'SQLITE_FULL') return new ValidationError('the disk is full: the backup was not written');
  return error;
}

/** The rename or link itself survives a crash only once the directory is synced (best effort: not every file system allows it). */
function syncDirectory(directory: string): void {
  try {
    const descriptor = openSync(directory, 'r');
    try {
      fsyncSync(descriptor);
    } finally {
      closeSync(descriptor);
    }
  } catch {
    // e.g. EISDIR/EINVAL on file systems that cannot sync a directory
  }
}
