import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ValidationError } from '../core/errors.js';

export interface MasterKey {
  key: Buffer;
  file: string;
  /** True when this call generated the key (first start). */
  created: boolean;
}

/**
 * Refuses a file or directory that any user may read, write or enter (the "other" mode
 * bits), with the chmod to run. The master key and the data directory are the
 * deployment's secrets: a world-accessible one is an operator's mistake to fix, not one to
 * start with (issue 16). Access for the file's group is the operator's deliberate grant
 * (a Kubernetes secret mounted with `fsGroup` is 0440) and is accepted. A missing path is
 * left alone (what Gatehouse creates, it creates 0600/0700).
 */
export function checkPrivate(path: string, what: string): void {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if ((mode & 0o007) === 0) return;
  const isDirectory = (mode & 0o170000) === 0o040000;
  const wanted = isDirectory ? '700' : '600';
  throw new ValidationError(
    `${what} ${path} is accessible to other users (mode ${(mode & 0o777).toString(8).padStart(4, '0')}): run \`chmod ${wanted} ${path}\` (as its owner) and start again`,
  );
}

/**
 * Loads the 256-bit master key from `file`, creating it (mode 0600, base64 text) when
 * it does not exist. Two processes starting at once end up with the same key. A key file
 * readable by group or others is refused, by the server and the CLI alike.
 */
export function loadOrCreateMasterKey(file: string): MasterKey {
  let created = false;
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    // Written whole to a private temporary file, then linked into place: link() fails if
    // the name exists, so the key appears atomically and a process starting at the same
    // moment never reads a half-written file.
    const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(temporary, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    try {
      linkSync(temporary, file);
      created = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(temporary);
    }
  }
  checkPrivate(file, 'the master key file');
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new ValidationError(`the master key file ${file} does not hold a base64-encoded 32-byte key`);
  return { key, file, created };
}
