import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { ConflictError } from '../../../core/errors.js';
import type { NewTenant } from '../../../core/storage.js';
import type { Tenant } from '../../../core/types.js';
import { byCodePoint, isUniqueViolation } from '../errors.js';
import type { Database, TenantsTable } from '../schema.js';
import { bumpRevocationRevision } from './revisions.js';

function toTenant(row: Selectable<TenantsTable>): Tenant {
  return { id: row.id, slug: row.slug, name: row.name, accessTokenTtl: row.access_token_ttl, disabled: Boolean(row.disabled), createdAt: Number(row.created_at) };
}

export async function createTenant(db: Kysely<Database>, input: NewTenant, now: number): Promise<Tenant> {
  const row = { id: randomUUID(), slug: input.slug, name: input.name, access_token_ttl: input.accessTokenTtl, created_at: now, disabled: 0 };
  try {
    await db.insertInto('tenants').values(row).execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError(`a tenant with slug "${input.slug}" already exists`);
    throw error;
  }
  return toTenant(row);
}

export async function findTenantBySlug(db: Kysely<Database>, slug: string): Promise<Tenant | undefined> {
  const row = await db.selectFrom('tenants').selectAll().where('slug', '=', slug).executeTakeFirst();
  return row && toTenant(row);
}

export async function listTenants(db: Kysely<Database>): Promise<Tenant[]> {
  const rows = await db.selectFrom('tenants').selectAll().execute();
  return rows.map(toTenant).sort((a, b) => byCodePoint(a.slug, b.slug));
}

export async function updateTenant(db: Kysely<Database>, slug: string, change: { name: string; accessTokenTtl: number | null }): Promise<boolean> {
  const result = await db.updateTable('tenants').set({ name: change.name, access_token_ttl: change.accessTokenTtl }).where('slug', '=', slug).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Call inside a transaction when disabling (the revision bump and the epochs land together). */
export async function setTenantDisabled(db: Kysely<Database>, slug: string, disabled: boolean, now: number): Promise<boolean> {
  const tenant = await db.selectFrom('tenants').select('id').where('slug', '=', slug).executeTakeFirst();
  if (!tenant) return false;
  await db.updateTable('tenants').set({ disabled: disabled ? 1 : 0 }).where('id', '=', tenant.id).execute();
  if (disabled) {
    const revision = await bumpRevocationRevision(db);
    await db
      .updateTable('clients')
      .set((eb) => ({ revocation_epoch: eb('revocation_epoch', '+', 1), epoch_revision: revision, updated_at: now }))
      .where('tenant_id', '=', tenant.id)
      .execute();
  }
  return true;
}
