import type { Kysely } from 'kysely';
import type { RevokedAccessToken } from '../../../core/storage.js';
import type { Database } from '../schema.js';

export async function revokeAccessToken(db: Kysely<Database>, entry: RevokedAccessToken): Promise<void> {
  await db
    .insertInto('revoked_access_tokens')
    .values({ jti: entry.jti, client_id: entry.clientId, expires_at_s: entry.expiresAt })
    .onConflict((oc) => oc.column('jti').doNothing())
    .execute();
}

export async function isAccessTokenRevoked(db: Kysely<Database>, jti: string): Promise<boolean> {
  const row = await db.selectFrom('revoked_access_tokens').select('jti').where('jti', '=', jti).executeTakeFirst();
  return row !== undefined;
}

export async function pruneRevokedAccessTokens(db: Kysely<Database>, nowSeconds: number): Promise<number> {
  const result = await db.deleteFrom('revoked_access_tokens').where('expires_at_s', '<=', nowSeconds).executeTakeFirst();
  return Number(result.numDeletedRows);
}
