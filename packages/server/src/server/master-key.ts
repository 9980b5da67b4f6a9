import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ValidationError } from '../core/errors.js';

export interface MasterKey {
  key: Buffer;
  file: string;
  /** True when this call generated the key (first start). */
  created: boolean;
  /** True when the file is readable by group or others (it should be 0600). */
  looseMode: boolean;
}

/**
 * Loads the 256-bit master key from `file`, creating it (mode 0600, base64 text) when
 * it does not exist. Two processes starting at once end up with the same key.
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
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new ValidationError(`the master key file ${file} does not hold a base64-encoded 32-byte key`);
  const looseMode = (statSync(file).mode & 0o077) !== 0;
  return { key, file, created, looseMode };
}
