import { isLoopbackIssuer } from '../core/config.js';
import { REVOCATION_SKEW_SECONDS } from '../core/revocation-feed.js';
import type { CodeStore, RefreshTokenStore, RevocationStore } from '../core/storage.js';

// Deny-list entries are kept this long past the token's `exp`: a server process whose
// clock runs behind may still accept the token until then.
export { REVOCATION_SKEW_SECONDS };

/** Deletes deny-list entries whose token expired more than the clock skew ago; returns how many. */
export function pruneExpiredRevocations(revocations: Pick<RevocationStore, 'pruneRevokedAccessTokens'>, nowMs: number): Promise<number> {
  return revocations.pruneRevokedAccessTokens(Math.floor(nowMs / 1000) - REVOCATION_SKEW_SECONDS);
}

/**
 * Deletes authorization codes consumed or expired more than 10 minutes ago (replays are
 * recognised until then) and refresh tokens that can no longer be used; returns how many.
 */
export async function pruneExpiredCodesAndRefreshTokens(
  storage: { codes: Pick<CodeStore, 'pruneExpired'>; refreshTokens: Pick<RefreshTokenStore, 'pruneExpired'> },
  nowMs: number,
): Promise<{ codes: number; refreshTokens: number }> {
  const codes = await storage.codes.pruneExpired(nowMs);
  const refreshTokens = await storage.refreshTokens.pruneExpired(nowMs);
  return { codes, refreshTokens };
}

/**
 * The startup warning for an issuer clients cannot safely use: RFC 8414 §2 requires an
 * https issuer and RFC 6749 §3.2 TLS at the token endpoint. Plain http is fine on
 * loopback (development); anywhere else credentials and tokens would cross the network
 * in the clear. Undefined when there is nothing to warn about.
 */
export function insecureIssuerWarning(issuer: string): string | undefined {
  if (new URL(issuer).protocol !== 'http:' || isLoopbackIssuer(issuer)) return undefined;
  return `the issuer ${issuer} uses http on a non-loopback host: RFC 8414 §2 and RFC 6749 §3.2 require https, so client secrets and tokens would cross the network in the clear; set GATEHOUSE_ISSUER to the public https URL clients reach the server at (e.g. behind a TLS-terminating proxy)`;
}
