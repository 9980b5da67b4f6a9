import type { Kysely } from 'kysely';
import type { ScopeDefinition } from '../../../core/types.js';
import { NotFoundError } from '../../../core/errors.js';
import { byCodePoint, isForeignKeyViolation } from '../errors.js';
import type { Database } from '../schema.js';

/** Adds missing scope names to a tenant's catalogue; existing entries keep their description. */
export async function ensureScopes(db: Kysely<Database>, tenantId: string, names: readonly string[], now: number): Promise<void> {
  if (names.length === 0) return;
  await db
    .insertInto('scopes')
    .values(names.map((name) => ({ tenant_id: tenantId, name, description: '', created_at: now })))
    .onConflict((oc) => oc.columns(['tenant_id', 'name']).doNothing())
    .execute();
}

export async function listScopes(db: Kysely<Database>, tenantId: string): Promise<ScopeDefinition[]> {
  const rows = await db.selectFrom('scopes').select(['tenant_id', 'name', 'description']).where('tenant_id', '=', tenantId).execute();
  return rows.map((row) => ({ tenantId: row.tenant_id, name: row.name, description: row.description })).sort((a, b) => byCodePoint(a.name, b.name));
}

export async function listScopeNames(db: Kysely<Database>): Promise<string[]> {
  const rows = await db.selectFrom('scopes').select('name').distinct().execute();
  return rows.map((row) => row.name).sort(byCodePoint);
}

/** Creates the scope, or replaces the description of the existing one, in one statement. */
export async function upsertScope(db: Kysely<Database>, tenantId: string, name: string, description: string, now: number): Promise<ScopeDefinition> {
  try {
    await db
      .insertInto('scopes')
      .values({ tenant_id: tenantId, name, description, created_at: now })
      .onConflict((oc) => oc.columns(['tenant_id', 'name']).doUpdateSet({ description }))
      .execute();
  } catch (error) {
    if (isForeignKeyViolation(error)) throw new NotFoundError(`no tenant with id "${tenantId}"`);
    throw error;
  }
  return { tenantId, name, description };
}

export async function deleteScope(db: Kysely<Database>, tenantId: string, name: string): Promise<boolean> {
  const result = await db.deleteFrom('scopes').where('tenant_id', '=', tenantId).where('name', '=', name).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
