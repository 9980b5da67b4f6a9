import { createAuthorizedFetch, type AuthorizedFetch } from './authorized-fetch.js';
import type { TokenSet } from './token-request.js';
import { abortable, cacheKey, normalizeScope, type TokenCache, type TokenOptions } from './token-cache.js';

/** What clientCredentials and refreshSession hand out: access tokens per scope set and tenant, cached. */
export interface TokenSource {
  /**
   * An access token for `tenant` and `scope` (default: the client's options): the cached
   * one while it has more than `renewBefore` seconds left, otherwise a new one (concurrent
   * callers share one request).
   */
  getToken(options?: TokenOptions): Promise<string>;
  /** The same, with expiry and granted scope (never a refresh token). */
  getTokenSet(options?: TokenOptions): Promise<TokenSet>;
  /** fetch with the token; renews it and retries once on 401 `invalid_token`. */
  authorizedFetch: AuthorizedFetch;
  /** Drops `accessToken` from the cache (e.g. after your own HTTP client saw a 401), unless a newer token replaced it. */
  invalidate(accessToken: string): void;
}

/** What a call asks for: its scope and tenant, else the client's, and their cache key. */
export interface TokenTarget {
  scope: string | undefined;
  tenant: string | undefined;
  key: string;
}

export function targetOf(request: Pick<TokenOptions, 'scope' | 'tenant'>, defaults: Pick<TokenOptions, 'scope' | 'tenant'> = {}): TokenTarget {
  const scope = normalizeScope(request.scope ?? defaults.scope);
  const tenant = request.tenant ?? defaults.tenant;
  return { scope, tenant, key: cacheKey(scope, tenant) };
}

export interface TokenSourceOptions {
  cache: TokenCache;
  /** The client's `scope` and `tenant` options. */
  defaults: Pick<TokenOptions, 'scope' | 'tenant'>;
  fetch: typeof fetch;
  /** A new token for `target` (the cache stores it and shares it with concurrent callers). */
  obtain(target: TokenTarget): Promise<TokenSet>;
  /** Runs before the cache is read (the refresh session fails fast there, or persists first). */
  prepare?(signal: AbortSignal | undefined): Promise<void>;
}

export function createTokenSource(source: TokenSourceOptions): TokenSource {
  const { cache, defaults } = source;
  const getTokenSet = async (request: TokenOptions = {}): Promise<TokenSet> => {
    request.signal?.throwIfAborted();
    await source.prepare?.(request.signal);
    const target = targetOf(request, defaults);
    return abortable(cache.get(target.key, () => source.obtain(target)), request.signal);
  };
  const getToken = async (request?: TokenOptions) => (await getTokenSet(request)).accessToken;
  return {
    getToken,
    getTokenSet,
    authorizedFetch: createAuthorizedFetch({
      fetch: source.fetch,
      defaultTenant: defaults.tenant,
      getToken,
      invalidate: (request, accessToken) => cache.invalidate(targetOf(request, defaults).key, accessToken),
    }),
    invalidate: (accessToken) => void cache.invalidateToken(accessToken),
  };
}
