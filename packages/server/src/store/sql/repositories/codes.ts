import type { Kysely, Selectable } from 'kysely';
import { ConflictError, NotFoundError } from '../../../core/errors.js';
import type { CodeConsumption, NewCode } from '../../../core/storage.js';
import type { AuthorizationCode, CodeChallengeMethod } from '../../../core/types.js';
import { isForeignKeyViolation, isUniqueViolation } from '../errors.js';
import type { AuthorizationCodesTable, Database } from '../schema.js';

/** Codes are kept this long after they were consumed or expired, so that a replay is still recognised. */
export const CODE_RETENTION_MS = 10 * 60 * 1000;

const list = (value: string): string[] => (value === '' ? [] : value.split(' '));

function toCode(row: Selectable<AuthorizationCodesTable>): AuthorizationCode {
  return {
    codeDigest: row.code_digest,
    clientId: row.client_id,
    userId: row.user_id,
    // '' stands for "the authorization request carried none": never a redirect URI.
    redirectUri: row.redirect_uri === '' ? null : row.redirect_uri,
    scope: list(row.scope),
    tenants: list(row.tenants),
    codeChallenge: row.code_challenge,
    codeChallengeMethod: row.code_challenge_method as CodeChallengeMethod | null,
    authTime: Number(row.auth_time),
    expiresAt: Number(row.expires_at),
    consumedAt: row.consumed_at === null ? null : Number(row.consumed_at),
  };
}

export async function createCode(db: Kysely<Database>, input: NewCode): Promise<AuthorizationCode> {
  const row: Selectable<AuthorizationCodesTable> = {
    code_digest: input.codeDigest,
    client_id: input.clientId,
    user_id: input.userId,
    redirect_uri: input.redirectUri ?? '',
    scope: input.scope.join(' '),
    tenants: input.tenants.join(' '),
    code_challenge: input.codeChallenge,
    code_challenge_method: input.codeChallengeMethod,
    auth_time: input.authTime,
    expires_at: input.expiresAt,
    consumed_at: null,
    grant_revoked_at: null,
  };
  try {
    await db.insertInto('authorization_codes').values(row).execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError('an authorization code with this digest already exists');
    if (isForeignKeyViolation(error)) throw new NotFoundError(`no client with id "${input.clientId}"`);
    throw error;
  }
  return toCode(row);
}

/**
 * RFC 6749 §4.1.2: a code is used once. One conditional UPDATE decides: of any number of
 * concurrent callers, exactly one sets `consumed_at` (PostgreSQL re-checks
 * `consumed_at is null` on the row after waiting for the winner's lock; SQLite runs one
 * writer at a time). Everyone else reads the row afterwards.
 */
export async function consumeCode(db: Kysely<Database>, codeDigest: string, now: number): Promise<CodeConsumption> {
  const won = await db
    .updateTable('authorization_codes')
    .set({ consumed_at: now })
    .where('code_digest', '=', codeDigest)
    .where('consumed_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  if (won) return Number(won.expires_at) <= now ? { status: 'expired' } : { status: 'consumed', code: toCode(won) };
  const row = await db.selectFrom('authorization_codes').selectAll().where('code_digest', '=', codeDigest).executeTakeFirst();
  if (!row) return { status: 'unknown' };
  // Consumed at or after its expiry: it was only ever refused, no token came from it.
  if (Number(row.consumed_at) >= Number(row.expires_at)) return { status: 'expired' };
  return { status: 'replayed', code: toCode(row) };
}

export async function findCode(db: Kysely<Database>, codeDigest: string): Promise<AuthorizationCode | undefined> {
  const row = await db.selectFrom('authorization_codes').selectAll().where('code_digest', '=', codeDigest).executeTakeFirst();
  return row && toCode(row);
}

/** Deletes the codes consumed, or expired, more than CODE_RETENTION_MS before `now`; returns how many. */
export async function pruneExpiredCodes(db: Kysely<Database>, now: number): Promise<number> {
  const cutoff = now - CODE_RETENTION_MS;
  const result = await db
    .deleteFrom('authorization_codes')
    .where((eb) => eb.or([eb('consumed_at', '<', cutoff), eb('expires_at', '<', cutoff)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Call inside a transaction, first: locks the code's row (a write that changes nothing)
 * until the transaction ends, and says whether a replay of the code was recorded and
 * when. Creating a grant and recording a replay both take this lock, so they serialise.
 */
export async function lockCode(db: Kysely<Database>, codeDigest: string): Promise<{ grantRevokedAt: number | null } | undefined> {
  const row = await db
    .updateTable('authorization_codes')
    .set((eb) => ({ grant_revoked_at: eb.ref('grant_revoked_at') }))
    .where('code_digest', '=', codeDigest)
    .returning('grant_revoked_at')
    .executeTakeFirst();
  return row && { grantRevokedAt: row.grant_revoked_at === null ? null : Number(row.grant_revoked_at) };
}

/** Call inside a transaction: records that the code was replayed (the first time is kept). */
export async function markCodeReplayed(db: Kysely<Database>, codeDigest: string, now: number): Promise<void> {
  await db
    .updateTable('authorization_codes')
    .set((eb) => ({ grant_revoked_at: eb.fn.coalesce('grant_revoked_at', eb.val(now)) }))
    .where('code_digest', '=', codeDigest)
    .execute();
}
