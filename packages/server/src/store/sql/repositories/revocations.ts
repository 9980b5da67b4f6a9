import type { Kysely } from 'kysely';
import type { RevocationChanges, RevokedAccessToken } from '../../../core/storage.js';
import type { Database } from '../schema.js';
import { listGrantsRevokedAfter } from './grants.js';
import { bumpRevocationRevision, currentRevocationRevision } from './revisions.js';

/** Call inside a transaction: the revision bump and the entry land together. */
export async function revokeAccessToken(db: Kysely<Database>, entry: RevokedAccessToken): Promise<void> {
  const revision = await bumpRevocationRevision(db);
  await db
    .insertInto('revoked_access_tokens')
    .values({ jti: entry.jti, client_id: entry.clientId, expires_at_s: entry.expiresAt, revision })
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

/**
 * The revocations after `since`. The revision is read FIRST: anything committed later
 * carries a higher revision and is picked up by the next call, while rows read here
 * that are newer than the revision read are merely seen twice (harmless).
 */
export async function readChanges(db: Kysely<Database>, since: number, notExpiredBefore: number): Promise<RevocationChanges> {
  const revision = await currentRevocationRevision(db);
  if (revision <= since) return { revision, clients: [], tokens: [], withdrawn_keys: [], grants: [] };
  const [clients, tokens, keys, grants] = await Promise.all([
    db.selectFrom('clients').select(['id', 'revocation_epoch']).where('epoch_revision', '>', since).execute(),
    db
      .selectFrom('revoked_access_tokens')
      .select(['jti', 'client_id', 'expires_at_s'])
      .where('revision', '>', since)
      .where('expires_at_s', '>=', notExpiredBefore)
      .execute(),
    db.selectFrom('signing_keys').select('kid').where('revision', '>', since).where('withdrawn_at', 'is not', null).execute(),
    listGrantsRevokedAfter(db, since),
  ]);
  return {
    revision,
    clients: clients.map((row) => ({ client_id: row.id, epoch: Number(row.revocation_epoch) })),
    tokens: tokens.map((row) => ({ jti: row.jti, client_id: row.client_id, exp: Number(row.expires_at_s) })),
    withdrawn_keys: keys.map((row) => row.kid),
    grants,
  };
}
