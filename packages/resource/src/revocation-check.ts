/**
 * The verifier's revocation check: the follower's in-memory state must be fresh enough to
 * vouch for a token (maxStaleness), and must not list it. One check for tokens seen for
 * the first time and tokens answered from the cache.
 */
import { BearerError } from './errors.js';
import type { RevocationFollower } from './revocation-follower.js';
import type { AccessTokenClaims } from './token-checks.js';

export interface RevocationCheck {
  /** True when the state can be consulted without waiting: no feed, or a poll of it has succeeded. */
  readonly readable: boolean;
  /**
   * Settles once the state can be consulted: at once, or, until a poll has succeeded,
   * once the first one has been attempted (successfully or not).
   */
  whenReadable(): Promise<void>;
  /** Throws 503 `temporarily_unavailable` when the state is too old, 401 `invalid_token` when the token is revoked. */
  check(claims: AccessTokenClaims, kid: string): void;
}

export interface RevocationCheckOptions {
  follower: RevocationFollower | undefined;
  /** How old (ms) the state may be; Infinity: however old. */
  maxStaleness: number;
  clock: () => number;
  realm: string;
  invalidToken: (description: string) => BearerError;
}

export function createRevocationCheck(options: RevocationCheckOptions): RevocationCheck {
  const { follower, maxStaleness, clock, realm, invalidToken } = options;
  if (!follower) {
    // Without a feed, revoked tokens are accepted until they expire (docs/resource-server.md).
    return { readable: true, whenReadable: () => Promise.resolve(), check: () => {} };
  }

  /** The state must be fresh enough to vouch for a token (see VerifierOptions.maxStaleness). */
  function checkFreshness(): void {
    if (maxStaleness === Infinity) return; // the operator chose availability over freshness
    const last = follower!.lastSuccessAt;
    if (last === undefined || clock() - last > maxStaleness) {
      throw new BearerError({
        realm,
        code: 'temporarily_unavailable',
        description: 'the revocation state of this API is out of date, so no token can be accepted; retry later',
        retryAfter: 5,
      });
    }
  }

  return {
    get readable() {
      return follower.lastSuccessAt !== undefined;
    },
    // Only until the first poll has succeeded: afterwards an await would cost every request a tick.
    whenReadable: () => (follower.lastSuccessAt === undefined ? follower.firstAttempt() : Promise.resolve()),
    check(claims, kid) {
      checkFreshness();
      if (follower.isRevoked(claims, kid)) throw invalidToken('the access token has been revoked');
    },
  };
}
