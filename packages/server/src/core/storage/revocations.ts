/** Revocations: the deny-list and the ordered revocation feed. See ./index.ts for the rules every store follows. */

export interface RevokedAccessToken {
  jti: string;
  clientId: string;
  /** The token's own `exp` (epoch seconds): the entry is useless after it. */
  expiresAt: number;
}

/**
 * What changed in the revocation state after a revision (docs/resource-server.md). The
 * JSON of GET /oauth/revocations.
 */
export interface RevocationChanges {
  /** The revision this answer is complete up to: pass it as `since` next time. */
  revision: number;
  /** Tokens of these clients with a lower `client_epoch` are revoked. */
  clients: { client_id: string; epoch: number }[];
  /** Revoked tokens, listed until their `exp` (plus clock skew) has passed. */
  tokens: { jti: string; client_id: string; exp: number }[];
  /** Withdrawn signing keys: every token they signed is revoked. */
  withdrawn_keys: string[];
  /**
   * Revoked grants (GrantStore): every access token whose `grant_id` claim is one of them
   * is revoked. Listed whatever their age (not cut by `notExpiredBefore`).
   */
  grants: string[];
}

export interface RevocationStore {
  /**
   * Idempotent: revoking a revoked token again is not an error. Bumps the revocation
   * revision in the same transaction.
   */
  revokeAccessToken(entry: RevokedAccessToken): Promise<void>;
  isAccessTokenRevoked(jti: string): Promise<boolean>;
  /** Deletes deny-list entries whose token has expired anyway; returns how many. */
  pruneRevokedAccessTokens(nowSeconds: number): Promise<number>;
  /**
   * The revocations after revision `since` (0: the whole current state). Every write
   * that revokes (a rotation without grace, a disable, a token revocation, a key
   * withdrawal, a grant revocation) bumps the revision under a lock in its own transaction, so revisions
   * become visible in order: nothing at or below the returned revision can appear later.
   * Token entries whose exp is before `notExpiredBefore` (epoch seconds) are left out.
   */
  readChanges(since: number, notExpiredBefore: number): Promise<RevocationChanges>;
}
