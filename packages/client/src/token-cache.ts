import { NetworkError, TokenEndpointError } from './errors.js';
import type { TokenSet } from './token-request.js';

/** What a token is asked for; every distinct combination is its own cache entry. */
export interface TokenOptions {
  /**
   * The scope to ask for, space-delimited or as a list. Order and duplicates do not
   * matter ("b a a" and ["a", "b"] share one cache entry). Default: the client's `scope` option.
   */
  scope?: string | readonly string[];
  /** Gatehouse's `tenant` parameter: a token for this tenant. Default: the client's `tenant` option. */
  tenant?: string;
  /** Stops this caller's wait (a request shared with other callers goes on for them). */
  signal?: AbortSignal;
}

/** RFC 6749 §3.3: a set of scope tokens, whatever their order; undefined for none. */
export function normalizeScope(scope: string | readonly string[] | undefined): string | undefined {
  if (scope === undefined) return undefined;
  const tokens = typeof scope === 'string' ? scope.split(' ') : [...scope];
  const unique = [...new Set(tokens.filter((token) => token !== ''))].sort();
  return unique.length > 0 ? unique.join(' ') : undefined;
}

export function cacheKey(...parts: (string | undefined)[]): string {
  return JSON.stringify(parts);
}

interface Entry {
  token: TokenSet;
  /** Local time after which the token is renewed instead of handed out. */
  renewAt: number;
  /** After a renewal failed for a temporary reason: local time before which none is tried again. */
  retryAt: number;
}

/** A renewal that failed for a reason that says nothing about the token (the server is down). */
function isTemporary(error: unknown): boolean {
  return error instanceof NetworkError || (error instanceof TokenEndpointError && error.retryable);
}

/** Below this much remaining life a token is not handed out even while its renewal fails. */
const LAST_RESORT_MARGIN_MS = 5_000;

/**
 * How long a token whose renewal failed for a temporary reason is handed out without a new
 * attempt. Without this pause, while the server is down every call would wait for a renewal
 * of its own (up to 4 × the 10 s timeout, plus backoff) before getting the token in hand.
 */
const RENEWAL_PAUSE_MS = 5_000;

/**
 * Access tokens by cache key, renewed `renewBeforeMs` before they expire, with one
 * request in flight per key (single flight): any number of concurrent callers for a key
 * share it and get the same token or the same error. A failed request leaves the cache as
 * it was, so the next call tries again; but when it failed for a temporary reason and the
 * cached token is still valid, that token is handed out instead, for RENEWAL_PAUSE_MS
 * without a new attempt.
 */
export class TokenCache {
  readonly #entries = new Map<string, Entry>();
  readonly #flights = new Map<string, Promise<TokenSet>>();
  readonly #renewBeforeMs: number;
  readonly #defaultExpiresInMs: number;
  readonly #clock: () => number;

  constructor(options: { renewBefore: number; defaultExpiresIn: number; clock: () => number }) {
    this.#renewBeforeMs = options.renewBefore * 1000;
    this.#defaultExpiresInMs = options.defaultExpiresIn * 1000;
    this.#clock = options.clock;
  }

  /** The cached token, or the one `obtain` gets (shared with every concurrent caller of this key). */
  get(key: string, obtain: () => Promise<TokenSet>): Promise<TokenSet> {
    const cached = this.#entries.get(key);
    const now = this.#clock();
    if (cached && (now < cached.renewAt || (now < cached.retryAt && isStillValid(cached, now)))) return Promise.resolve(cached.token);
    const inFlight = this.#flights.get(key);
    if (inFlight) return inFlight;
    const flight = obtain().then(
      (token) => {
        this.set(key, token);
        return token;
      },
      (error: unknown) => {
        // The server is down but the token in hand is still valid: better to use it than to fail.
        const stale = this.#entries.get(key);
        const now = this.#clock();
        if (!stale || !isTemporary(error) || !isStillValid(stale, now)) throw error;
        stale.retryAt = now + RENEWAL_PAUSE_MS;
        return stale.token;
      },
    );
    this.#flights.set(key, flight);
    const forget = () => {
      if (this.#flights.get(key) === flight) this.#flights.delete(key);
    };
    flight.then(forget, forget);
    return flight;
  }

  /** Caches `token`, unless it has no life left (`expires_in: 0`: for this caller only). Drops expired entries. */
  set(key: string, token: TokenSet): void {
    const now = this.#clock();
    for (const [other, entry] of this.#entries) if (entry.token.expiresAt <= now) this.#entries.delete(other);
    if (token.expiresAt <= now) return;
    const lifetime = (token.expiresIn ?? this.#defaultExpiresInMs / 1000) * 1000;
    // A token that lives no longer than the renewal window would be renewed on every
    // call: such a token is renewed when half of its life is gone.
    const window = lifetime > this.#renewBeforeMs ? this.#renewBeforeMs : lifetime / 2;
    this.#entries.set(key, { token, renewAt: token.expiresAt - window, retryAt: 0 });
  }

  /** Drops `accessToken` from `key`, unless a newer token has replaced it meanwhile. */
  invalidate(key: string, accessToken: string): boolean {
    if (this.#entries.get(key)?.token.accessToken !== accessToken) return false;
    this.#entries.delete(key);
    return true;
  }

  /** Drops `accessToken` wherever it is cached. */
  invalidateToken(accessToken: string): boolean {
    let dropped = false;
    for (const [key, entry] of this.#entries) {
      if (entry.token.accessToken === accessToken) dropped = this.invalidate(key, accessToken) || dropped;
    }
    return dropped;
  }

  clear(): void {
    this.#entries.clear();
  }
}

function isStillValid(entry: Entry, now: number): boolean {
  return entry.token.expiresAt - now > LAST_RESORT_MARGIN_MS;
}

/** `promise`, or a rejection as soon as `signal` aborts (the work itself goes on). */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

export function checkSeconds(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new TypeError(`${name} must be a non-negative number of seconds`);
  return value;
}
