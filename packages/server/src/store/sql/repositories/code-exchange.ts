/**
 * The write that spans two repositories: a code exchange stores the grant and its first
 * refresh token together. It lives here, importing both, so that neither the grant nor
 * the refresh-token repository imports the other.
 */
import type { Kysely } from 'kysely';
import type { NewGrant } from '../../../core/storage.js';
import type { AuthorizationGrant } from '../../../core/types.js';
import type { Database } from '../schema.js';
import { createGrant } from './grants.js';
import { createRefreshToken } from './refresh-tokens.js';

/**
 * Call inside a transaction (GrantStore.createGrant): the grant, then its first refresh
 * token when the client gets one, so a grant never exists without it. A grant born
 * revoked (the code was replayed first) gets no refresh token.
 */
export async function createGrantWithFirstRefreshToken(db: Kysely<Database>, input: NewGrant): Promise<AuthorizationGrant> {
  const grant = await createGrant(db, input);
  if (input.refreshToken && grant.revokedAt === null) {
    await createRefreshToken(db, { ...input.refreshToken, grantId: input.id, clientId: input.clientId, createdAt: input.createdAt });
  }
  return grant;
}
