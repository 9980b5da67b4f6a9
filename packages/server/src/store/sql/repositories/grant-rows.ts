/**
 * The grants table read back: the row mapping and the lookups that both the grant
 * repository (grants.ts) and the refresh-token repository (refresh-tokens.ts) need, so
 * that neither imports the other.
 */
import type { Kysely, Selectable } from 'kysely';
import type { AuthorizationGrant } from '../../../core/types.js';
import type { Database, GrantsTable } from '../schema.js';

const list = (value: string): string[] => (value === '' ? [] : value.split(' '));

export function toGrant(row: Selectable<GrantsTable>): AuthorizationGrant {
  return {
    id: row.id,
    clientId: row.client_id,
    userId: row.user_id,
    codeDigest: row.code_digest,
    scope: list(row.scope),
    tenants: list(row.tenants),
    createdAt: Number(row.created_at),
    absoluteExpiresAt: Number(row.absolute_expires_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
  };
}

export async function findGrant(db: Kysely<Database>, id: string): Promise<AuthorizationGrant | undefined> {
  const row = await db.selectFrom('grants').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toGrant(row);
}

export async function findGrantByCode(db: Kysely<Database>, codeDigest: string): Promise<AuthorizationGrant | undefined> {
  const row = await db.selectFrom('grants').selectAll().where('code_digest', '=', codeDigest).executeTakeFirst();
  return row && toGrant(row);
}

/** Every grant of the user, oldest first (ties by id). */
export async function listGrantsOfUser(db: Kysely<Database>, userId: string): Promise<AuthorizationGrant[]> {
  const rows = await db.selectFrom('grants').selectAll().where('user_id', '=', userId).orderBy('created_at').orderBy('id').execute();
  return rows.map(toGrant);
}
