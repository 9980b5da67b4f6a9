/** Authorization codes (issue 4). See ./index.ts for the rules every store follows. */
import type { AuthorizationCode, CodeChallengeMethod } from '../types.js';

export interface NewCode {
  /** The digest of the code (SHA-256 or HMAC, computed by the caller): never the code itself. */
  codeDigest: string;
  clientId: string;
  /** Plain text: no reference to the users table is enforced. */
  userId: string;
  /** Null when the authorization request carried no redirect_uri (see AuthorizationCode). */
  redirectUri: string | null;
  scope: string[];
  /** Slugs of the tenants the user granted. */
  tenants: string[];
  codeChallenge: string | null;
  codeChallengeMethod: CodeChallengeMethod | null;
  authTime: number;
  expiresAt: number;
}

/** What presenting an authorization code came to (CodeStore.consumeCode). */
export type CodeConsumption =
  /** This caller, and only this caller, redeemed the code: exchange it. */
  | { status: 'consumed'; code: AuthorizationCode }
  /**
   * The code was redeemed before (RFC 6749 §4.1.2): refuse, and revoke what was issued
   * from it (GrantStore.revokeGrantByCode).
   */
  | { status: 'replayed'; code: AuthorizationCode }
  /** The code had expired when it was first presented: refuse (nothing was issued from it). */
  | { status: 'expired' }
  /** No such code (never issued, or pruned): refuse. */
  | { status: 'unknown' };

/**
 * Authorization codes (RFC 6749 §4.1.2), stored only as digests: a database leak reveals
 * no usable code.
 */
export interface CodeStore {
  /** Stores a new, unused code. ConflictError when the digest exists; NotFoundError when the client does not. */
  createCode(input: NewCode): Promise<AuthorizationCode>;
  /**
   * Redeems the code, atomically (one conditional write): of any number of concurrent
   * callers, across processes, exactly one gets 'consumed'; every later (or losing)
   * caller gets 'replayed'. A code presented at or after its `expiresAt` answers
   * 'expired' and is marked consumed too; it keeps answering 'expired' (no token was
   * issued from it, so there is nothing to revoke).
   */
  consumeCode(codeDigest: string, now: number): Promise<CodeConsumption>;
  /**
   * The stored code, consumed or not, without changing it (undefined when there is none):
   * what the token endpoint checks a request against (client, redirect URI, PKCE) before
   * it consumes the code, so a request that does not prove itself changes nothing.
   */
  findCode(codeDigest: string): Promise<AuthorizationCode | undefined>;
  /**
   * Deletes the codes consumed, or expired, more than 10 minutes before `now` (until
   * then a replay is still recognised); returns how many.
   */
  pruneExpired(now: number): Promise<number>;
}
