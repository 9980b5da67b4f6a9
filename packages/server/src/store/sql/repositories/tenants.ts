import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { ConflictError } from '../../../core/errors.js';
import type { NewTenant } from '../../../core/storage.js';
import type { Tenant } from '../../../core/types.js';
import { byCodePoint, isUniqueViolation } from '../errors.js';
import type { Database, TenantsTable } from '../schema.js';

function toTenant(row: Selectable<TenantsTable>): Tenant {
  return { id: row.id, slug: row.slug, name: row.name, accessTokenTtl: row.access_token_ttl, createdAt: Number(row.created_at) };
}

export async function createTenant(db: Kysely<Database>, input: NewTenant, now: number): Promise<Tenant> {
  const row = { id: randomUUID(), slug: input.slug, name: input.name, access_token_ttl: input.accessTokenTtl, created_at: now };
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
