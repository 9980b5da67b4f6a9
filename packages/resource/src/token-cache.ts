/**
 * The verified-token cache and its freshness rule. A token's signature and static claims
 * never change, so checking them once is enough; what changes with time (expiry) or with
 * the issuer (its key withdrawn or no longer published, a revocation) is checked on every
 * lookup. `verify` and `verifyNow` both answer a token seen before through `lookup`.
 */
import type { BearerError } from './errors.js';
import type { VerificationKey } from './keys.js';
import type { RevocationCheck } from './revocation-check.js';
import { copyClaims, type AccessTokenClaims, type CheckedToken } from './token-checks.js';

export interface VerifiedTokenCacheOptions {
  /** How many tokens to remember; 0 turns the cache off. */
  size: number;
  /** Milliseconds since the epoch. */
  clock: () => number;
  /** Leeway for `exp`, in seconds. */
  clockTolerance: number;
  revocation: RevocationCheck;
  invalidToken: (description: string) => BearerError;
}

/**
 * Verified tokens, by their exact compact serialisation. Only tokens that passed every
 * check are stored; oldest out first.
 */
export class VerifiedTokenCache {
  readonly #entries = new Map<string, CheckedToken>();
  readonly #options: VerifiedTokenCacheOptions;

  constructor(options: VerifiedTokenCacheOptions) {
    this.#options = options;
  }

  /** The `kid` of a token verified before (the key to look up for `lookup`), or undefined. */
  kidOf(token: string): string | undefined {
    return this.#options.size > 0 ? this.#entries.get(token)?.kid : undefined;
  }

  /** Remembers a token that passed every check. */
  remember(token: string, checked: CheckedToken): void {
    if (this.#options.size <= 0) return;
    if (this.#entries.size >= this.#options.size) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(token, checked);
  }

  /**
   * The one cached-token lookup. Undefined when the token was not verified before (or was
   * dropped): it must be verified in full. Otherwise the freshness rule: the token must
   * not have expired, `key` (what the key source has now for its `kid`) must exist, the
   * revocation state must be fresh and must not list it. An expired token or a vanished
   * key drops it from the cache; then throws `invalid_token` (503 for a stale state).
   * Returns the caller's own copy of the claims.
   */
  lookup(token: string, key: VerificationKey | undefined): AccessTokenClaims | undefined {
    const hit = this.#options.size > 0 ? this.#entries.get(token) : undefined;
    if (!hit) return undefined;
    const { clock, clockTolerance, invalidToken, revocation } = this.#options;
    if (hit.claims.exp + clockTolerance <= clock() / 1000) {
      this.#entries.delete(token);
      throw invalidToken('the access token has expired');
    }
    if (!key) {
      this.#entries.delete(token);
      throw invalidToken('the access token is signed with an unknown key');
    }
    revocation.check(hit.claims, hit.kid);
    return copyClaims(hit.claims);
  }
}
