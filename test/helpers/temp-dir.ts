import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  /** The directory: a Gatehouse on it keeps its master key and data files here. */
  path: string;
  /** `sqlite:` URL of a database file in the directory (created when first opened). */
  sqliteUrl: string;
  /** Removes the directory and everything in it. */
  remove(): void;
}

/** A fresh directory under the OS temporary directory, for one Gatehouse's SQLite file and data. */
export function createTempDir(prefix: string): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return {
    path,
    sqliteUrl: `sqlite:${join(path, 'gatehouse.db')}`,
    remove: () => rmSync(path, { recursive: true, force: true }),
  };
}
