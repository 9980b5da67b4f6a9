import type { Kysely, Selectable } from 'kysely';
import { ConflictError, NotFoundError } from '../../../core/errors.js';
import type { NewGrant } from '../../../core/storage.js';
import type { AuthorizationGrant } from '../../../core/types.js';
import { isForeignKeyViolation, isUniqueViolation } from '../errors.js';
import type { Database, GrantsTable } from '../schema.js';
import { lockCode, markCodeReplayed } from './codes.js';
import { findGrantByCode, toGrant } from './grant-rows.js';
import { bumpRevocationRevision } from './revisions.js';

// Lock order, to rule out deadlocks on PostgreSQL: the code's row, then the revision
// counter, then grant rows (the other revocations also take the counter before their rows).

/** Thrown inside a revoking transaction when there was nothing to revoke: the revision bump rolls back. */
export class NothingRevoked extends Error {
  constructor() {
    super('nothing to revoke');
    this.name = 'NothingRevoked';
  }
}

/**
 * Call inside a transaction. Stores the grant only: its first refresh token
 * (`input.refreshToken`) is written by createGrantWithFirstRefreshToken (code-exchange.ts)
 * in the same transaction. Takes the code's row lock first: a replay recorded before
 * (markCodeReplayed) makes the grant born revoked, with a revision of its own, and a
 * replay recorded after finds the grant (revokeGrantByCode).
 */
export async function createGrant(db: Kysely<Database>, input: Omit<NewGrant, 'refreshToken'>): Promise<AuthorizationGrant> {
  const code = await lockCode(db, input.codeDigest);
  const revokedAt = code?.grantRevokedAt ?? null;
  const revision = revokedAt === null ? 0 : await bumpRevocationRevision(db);
  const row: Selectable<GrantsTable> = {
    id: input.id,
    client_id: input.clientId,
    user_id: input.userId,
    code_digest: input.codeDigest,
    scope: input.scope.join(' '),
    tenants: input.tenants.join(' '),
    created_at: input.createdAt,
    absolute_expires_at: input.absoluteExpiresAt,
    revoked_at: revokedAt,
    revision,
    // The code exchange is the grant's first use.
    last_used_at: input.createdAt,
  };
  try {
    await db.insertInto('grants').values(row).execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError(`a grant with id "${input.id}", or for this authorization code, already exists`);
    if (isForeignKeyViolation(error)) throw new NotFoundError(`no client with id "${input.clientId}"`);
    throw error;
  }
  return toGrant(row);
}

/** For the caller of a revoking transaction: NothingRevoked is an outcome, not a failure. */
export function ignoreNothingRevoked(error: unknown): void {
  if (!(error instanceof NothingRevoked)) throw error;
}

/**
 * Call inside a transaction: bumps the revision and stamps it on the grant, only if the
 * grant is not revoked yet. Throws NothingRevoked otherwise, so that the transaction
 * rolls the bump back (a revision that revokes nothing is harmless, but pointless).
 */
export async function revokeGrant(db: Kysely<Database>, id: string, now: number): Promise<void> {
  const revision = await bumpRevocationRevision(db);
  const result = await db.updateTable('grants').set({ revoked_at: now, revision }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) throw new NothingRevoked();
}

/**
 * Call inside a transaction: revokes every live grant of a user (disabled user), under
 * one revision. Returns how many; NothingRevoked (rolled back) when there were none.
 */
export async function revokeGrantsOfUser(db: Kysely<Database>, userId: string, now: number): Promise<number> {
  const revision = await bumpRevocationRevision(db);
  const result = await db.updateTable('grants').set({ revoked_at: now, revision }).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst();
  const count = Number(result.numUpdatedRows);
  if (count === 0) throw new NothingRevoked();
  return count;
}

/**
 * Call inside a transaction: revokes the user's live grants that include the tenant,
 * under one revision. Returns how many; NothingRevoked (rolled back) when there were none.
 */
export async function revokeGrantsOfUserInTenant(db: Kysely<Database>, userId: string, tenantSlug: string, now: number): Promise<number> {
  const revision = await bumpRevocationRevision(db);
  const live = await db.selectFrom('grants').select(['id', 'tenants']).where('user_id', '=', userId).where('revoked_at', 'is', null).execute();
  const ids = live.filter((row) => row.tenants.split(' ').includes(tenantSlug)).map((row) => row.id);
  if (ids.length === 0) throw new NothingRevoked();
  const result = await db.updateTable('grants').set({ revoked_at: now, revision }).where('id', 'in', ids).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Whose live grants revokeLiveGrants revokes: one client's, a tenant's clients', or one user's. */
export type GrantOwner = { clientId: string } | { tenantId: string } | { userId: string };

/**
 * Call inside the transaction that disables the owner (a client, a tenant, a user), with
 * that transaction's revision: revokes every live grant of the owner, so that enabling it
 * again brings no refresh token back (the grant stays revoked for good). Unlike the
 * revocations above it never throws NothingRevoked: the disabling commits either way.
 * Returns how many grants were revoked.
 */
export async function revokeLiveGrants(db: Kysely<Database>, owner: GrantOwner, revision: number, now: number): Promise<number> {
  let update = db.updateTable('grants').set({ revoked_at: now, revision }).where('revoked_at', 'is', null);
  if ('clientId' in owner) update = update.where('client_id', '=', owner.clientId);
  else if ('userId' in owner) update = update.where('user_id', '=', owner.userId);
  else update = update.where('client_id', 'in', db.selectFrom('clients').select('id').where('tenant_id', '=', owner.tenantId));
  const result = await update.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Call inside a transaction. RFC 6749 §4.1.2: a code presented twice revokes what was
 * issued from it. Records the replay on the code's row (a grant created from the code
 * later is born revoked), then revokes the grant of the code, if there is one.
 */
export async function revokeGrantByCode(db: Kysely<Database>, codeDigest: string, now: number): Promise<void> {
  await markCodeReplayed(db, codeDigest, now);
  const grant = await findGrantByCode(db, codeDigest);
  if (grant && grant.revokedAt === null) await revokeGrant(db, grant.id, now);
}

/** The grants revoked after revision `since` (the revocation feed). */
export async function listGrantsRevokedAfter(db: Kysely<Database>, since: number): Promise<string[]> {
  const rows = await db.selectFrom('grants').select('id').where('revision', '>', since).where('revoked_at', 'is not', null).execute();
  return rows.map((row) => row.id);
}

export { findGrant, findGrantByCode, listGrantsOfUser } from './grant-rows.js';
