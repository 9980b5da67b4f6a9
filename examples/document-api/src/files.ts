/**
 * The bytes of the document API's files: one file per upload, `<directory>/<id>` (in
 * `gatehouse serve`, `<dataDir>/document-api/files/<id>`), the metadata being in the
 * API's own database (store.ts). An upload is written to a temporary file in
 * the same directory and renamed into place only once it is complete, so a file name that
 * exists always holds a whole upload.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, type ReadStream } from 'node:fs';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** File ids are UUIDs, which is also what keeps them from naming a path outside the directory. */
const FILE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isFileId(value: string): boolean {
  return FILE_ID.test(value);
}

/** An upload written to a temporary file: commit it under an id, or discard it. */
export interface PendingUpload {
  /** Bytes written. */
  readonly size: number;
  /** Renames the bytes into place as file `id`. */
  commit(id: string): Promise<void>;
  /** Removes the temporary file (idempotent; a no-op after commit). */
  discard(): Promise<void>;
}

export interface OpenedFile {
  stream: ReadStream;
  size: number;
}

export class FileBytes {
  readonly directory: string;

  constructor(directory: string) {
    this.directory = directory;
  }

  /** Creates the files directory (mode 0700) unless it exists; call it before `receive`. */
  async prepare(): Promise<void> {
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
  }

  /**
   * Streams `source` into a temporary file (mode 0600) of the files directory (see
   * `prepare`). The stream is attached before anything else is awaited, so no chunk, end
   * or error of it can be missed; a source already destroyed is a cut-short upload.
   */
  async receive(source: Readable): Promise<PendingUpload> {
    if (source.destroyed) throw new UploadCutShort();
    const temporary = join(this.directory, `.upload-${randomBytes(12).toString('hex')}.tmp`);
    let pending = true;
    const discard = async () => {
      if (!pending) return;
      pending = false;
      await unlinkIfPresent(temporary);
    };
    try {
      await pipeline(source, createWriteStream(temporary, { flags: 'wx', mode: 0o600 }));
    } catch (error) {
      await discard();
      throw error;
    }
    const { size } = await stat(temporary).catch(async (error: unknown) => {
      await discard();
      throw error;
    });
    return {
      size,
      commit: async (id) => {
        await rename(temporary, this.pathOf(id));
        pending = false;
      },
      discard,
    };
  }

  /** Opens the bytes of file `id`; undefined when they are missing. */
  async open(id: string): Promise<OpenedFile | undefined> {
    let handle;
    try {
      handle = await open(this.pathOf(id), 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      const { size } = await handle.stat();
      return { stream: handle.createReadStream(), size };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** Removes the bytes of file `id` (nothing to do when they are already gone). */
  async remove(id: string): Promise<void> {
    await unlinkIfPresent(this.pathOf(id));
  }

  private pathOf(id: string): string {
    if (!isFileId(id)) throw new Error('not a file id');
    return join(this.directory, id);
  }
}

/** The upload stream ended before the part did (a truncated or aborted request). */
export class UploadCutShort extends Error {
  constructor() {
    super('the upload was cut short');
    this.name = 'UploadCutShort';
  }
}

async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
