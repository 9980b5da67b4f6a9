import { sql, type Kysely, type Selectable } from 'kysely';
import { ConflictError } from '../../../core/errors.js';
import { isUniqueViolation } from '../errors.js';
import { bumpRevocationRevision } from './revisions.js';
import type { SigningAlgorithm, SigningKey } from '../../../core/types.js';
import type { Database, SigningKeysTable } from '../schema.js';

function toKey(row: Selectable<SigningKeysTable>): SigningKey {
  return {
    kid: row.kid,
    alg: row.alg as SigningAlgorithm,
    publicJwk: JSON.parse(row.public_jwk) as SigningKey['publicJwk'],
    sealedPrivateJwk: row.sealed_private_jwk,
    active: Boolean(row.active),
    createdAt: Number(row.created_at),
    retiredAt: row.retired_at === null ? null : Number(row.retired_at),
    withdrawnAt: row.withdrawn_at === null ? null : Number(row.withdrawn_at),
  };
}

export async function listPublishedKeys(db: Kysely<Database>, retiredAfter: number): Promise<SigningKey[]> {
  const rows = await db
    .selectFrom('signing_keys')
    .selectAll()
    .where((eb) => eb.or([eb('active', '=', 1), eb.and([eb('retired_at', '>', retiredAfter), eb('withdrawn_at', 'is', null)])]))
    .orderBy('created_at', 'desc')
    .execute();
  return rows.map(toKey);
}

/**
 * Call inside a transaction: retire the active key(s) and insert the new active one.
 * On PostgreSQL the table lock serialises concurrent activations, so the later one sees
 * (and retires) the key the earlier one inserted; SQLite transactions are serial anyway.
 * A unique partial index (one row with active = 1) backs this up.
 */
export async function activateKey(db: Kysely<Database>, key: SigningKey, now: number, dialect: 'sqlite' | 'postgres'): Promise<void> {
  if (dialect === 'postgres') await sql`lock table signing_keys in share row exclusive mode`.execute(db);
  await db
    .updateTable('signing_keys')
    .set({ active: 0, retired_at: now })
    .where('active', '=', 1)
    .execute();
  try {
    await db
      .insertInto('signing_keys')
      .values({
        kid: key.kid,
        alg: key.alg,
        public_jwk: JSON.stringify(key.publicJwk),
        sealed_private_jwk: key.sealedPrivateJwk,
        active: 1,
        created_at: key.createdAt,
        retired_at: null,
        withdrawn_at: null,
        revision: 0,
      })
      .execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError(`a signing key with kid "${key.kid}" already exists, or another rotation ran at the same time`);
    throw error;
  }
}

/** Call inside a transaction: the revision bump and the withdrawal land together. */
export async function withdrawKey(db: Kysely<Database>, kid: string, now: number): Promise<'withdrawn' | 'active' | 'not_found'> {
  const row = await db.selectFrom('signing_keys').select(['active', 'withdrawn_at']).where('kid', '=', kid).executeTakeFirst();
  if (!row) return 'not_found';
  if (row.active) return 'active';
  if (row.withdrawn_at !== null) return 'withdrawn';
  const revision = await bumpRevocationRevision(db);
  await db.updateTable('signing_keys').set({ withdrawn_at: now, revision }).where('kid', '=', kid).where('active', '=', 0).execute();
  return 'withdrawn';
}
