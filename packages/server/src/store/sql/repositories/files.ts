import type { Kysely, Selectable } from 'kysely';
import { ConflictError, NotFoundError } from '../../../core/errors.js';
import type { NewFile } from '../../../core/storage.js';
import type { StoredFile } from '../../../core/types.js';
import { isForeignKeyViolation, isUniqueViolation } from '../errors.js';
import type { Database, DemoFilesTable } from '../schema.js';

// Every query but findPublishedFile names the tenant: tenant scoping lives here.

function toFile(row: Selectable<DemoFilesTable>): StoredFile {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    size: Number(row.size),
    contentType: row.content_type,
    createdAt: Number(row.created_at),
    publicId: row.public_id,
  };
}

export async function createFile(db: Kysely<Database>, tenantId: string, input: NewFile, now: number): Promise<StoredFile> {
  const row = { id: input.id, tenant_id: tenantId, name: input.name, size: input.size, content_type: input.contentType, created_at: now, public_id: null };
  try {
    await db.insertInto('demo_files').values(row).execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError(`a file with id ${input.id} already exists`);
    if (isForeignKeyViolation(error)) throw new NotFoundError(`no tenant with id ${tenantId}`);
    throw error;
  }
  return toFile(row);
}

export async function findFile(db: Kysely<Database>, tenantId: string, id: string): Promise<StoredFile | undefined> {
  const row = await db.selectFrom('demo_files').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return row && toFile(row);
}

export async function listFiles(db: Kysely<Database>, tenantId: string): Promise<StoredFile[]> {
  const rows = await db.selectFrom('demo_files').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at').orderBy('id').execute();
  return rows.map(toFile);
}

export async function deleteFile(db: Kysely<Database>, tenantId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('demo_files').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function publishFile(db: Kysely<Database>, tenantId: string, id: string, publicId: string): Promise<StoredFile | undefined> {
  try {
    // Conditional on `public_id is null`: a published file keeps its first public id, and
    // of two concurrent publications the later one updates nothing.
    await db.updateTable('demo_files').set({ public_id: publicId }).where('tenant_id', '=', tenantId).where('id', '=', id).where('public_id', 'is', null).execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError('the public id is taken by another file');
    throw error;
  }
  return findFile(db, tenantId, id);
}

export async function unpublishFile(db: Kysely<Database>, tenantId: string, id: string): Promise<boolean> {
  const result = await db.updateTable('demo_files').set({ public_id: null }).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** The public download link's lookup: the public id is the capability (see PublishedFileStore). */
export async function findPublishedFile(db: Kysely<Database>, publicId: string): Promise<StoredFile | undefined> {
  const row = await db.selectFrom('demo_files').selectAll().where('public_id', '=', publicId).executeTakeFirst();
  return row && toFile(row);
}
