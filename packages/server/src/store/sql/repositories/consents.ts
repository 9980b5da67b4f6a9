import type { Kysely, Selectable } from 'kysely';
import { NotFoundError } from '../../../core/errors.js';
import type { ConsentInput } from '../../../core/storage.js';
import type { Consent } from '../../../core/types.js';
import { byCodePoint, isForeignKeyViolation } from '../errors.js';
import type { ConsentsTable, Database } from '../schema.js';

const list = (value: string): string[] => (value === '' ? [] : value.split(' '));
const text = (values: readonly string[]): string => [...new Set(values)].sort(byCodePoint).join(' ');

function toConsent(row: Selectable<ConsentsTable>): Consent {
  return {
    userId: row.user_id,
    clientId: row.client_id,
    scopes: list(row.scopes),
    tenants: list(row.tenants),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export async function findConsent(db: Kysely<Database>, userId: string, clientId: string): Promise<Consent | undefined> {
  const row = await db.selectFrom('consents').selectAll().where('user_id', '=', userId).where('client_id', '=', clientId).executeTakeFirst();
  return row ? toConsent(row) : undefined;
}

/** Creates or replaces the consent in one statement (the creation time of an existing one stays). */
export async function saveConsent(db: Kysely<Database>, input: ConsentInput, now: number): Promise<Consent> {
  const scopes = text(input.scopes);
  const tenants = text(input.tenants);
  try {
    await db
      .insertInto('consents')
      .values({ user_id: input.userId, client_id: input.clientId, scopes, tenants, created_at: now, updated_at: now })
      .onConflict((oc) => oc.columns(['user_id', 'client_id']).doUpdateSet({ scopes, tenants, updated_at: now }))
      .execute();
  } catch (error) {
    if (isForeignKeyViolation(error)) throw new NotFoundError(`no user "${input.userId}" or no client "${input.clientId}"`);
    throw error;
  }
  return (await findConsent(db, input.userId, input.clientId))!;
}

/** Deletes the consent; true when there was one. */
export async function deleteConsent(db: Kysely<Database>, userId: string, clientId: string): Promise<boolean> {
  const result = await db.deleteFrom('consents').where('user_id', '=', userId).where('client_id', '=', clientId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Call inside a transaction: drops the tenant from the user's consents; deletes those left with none. */
export async function removeTenantFromConsents(db: Kysely<Database>, userId: string, tenantSlug: string, now: number): Promise<number> {
  const rows = await db.selectFrom('consents').selectAll().where('user_id', '=', userId).execute();
  let changed = 0;
  for (const consent of rows.map(toConsent)) {
    if (!consent.tenants.includes(tenantSlug)) continue;
    const tenants = consent.tenants.filter((slug) => slug !== tenantSlug);
    if (tenants.length === 0) await db.deleteFrom('consents').where('user_id', '=', userId).where('client_id', '=', consent.clientId).execute();
    else await db.updateTable('consents').set({ tenants: text(tenants), updated_at: now }).where('user_id', '=', userId).where('client_id', '=', consent.clientId).execute();
    changed += 1;
  }
  return changed;
}
