import { checkServerOptions, tokenEndpointOf, type ServerOptions } from './discovery.js';
import { RefreshTokenPersistenceError, SessionEndedError, TokenEndpointError } from './errors.js';
import { checkClientAuthentication, requestToken, type ClientAuthentication, type TokenSet } from './token-request.js';
import { runtimeOf, type TransportOptions } from './transport.js';
import { abortable, checkSeconds, TokenCache } from './token-cache.js';
import { createTokenSource, targetOf, type TokenSource, type TokenTarget } from './token-source.js';

export type RefreshSessionOptions = ServerOptions &
  ClientAuthentication &
  TransportOptions & {
    /** The refresh token to start from (as persisted by the application). Or give `tokens`. */
    refreshToken?: string;
    /**
     * The result of exchangeCode: its refresh token, and its access token, cached as the
     * token of its own tenant (`tokens.tenant`) asked for without a scope (the whole grant,
     * as the code exchange asked for it).
     */
    tokens?: TokenSet;
    /**
     * Called with every new refresh token, before the access token that came with it is
     * handed out; awaited. Persist it: the previous one is spent (presenting it again is
     * reuse, and Gatehouse then revokes the whole grant). If it throws, the call that
     * triggered the refresh rejects with a RefreshTokenPersistenceError; the session keeps
     * the new token in memory, goes on with it, and calls onRefreshToken again with the
     * newest token before it hands out anything else.
     *
     * Do not call the session from inside it: every call waits for onRefreshToken to
     * finish. A call made before its first `await` rejects with a TypeError; one made
     * after it would wait forever.
     */
    onRefreshToken: (refreshToken: string) => void | Promise<void>;
    /** The scope asked for when getToken names none. Default: none (the scope the user granted). */
    scope?: string | readonly string[];
    /** The tenant asked for (and sent as `X-Tenant` by authorizedFetch) when getToken names none. */
    tenant?: string;
    /** A cached access token is renewed when it has this many seconds left, or fewer. Default 60. */
    renewBefore?: number;
    /** The lifetime assumed when the server sends no `expires_in`, in seconds. Default 300. */
    defaultExpiresIn?: number;
  };

/** Access tokens minted from the refresh token (getToken, authorizedFetch…), and the session's end. */
export interface RefreshSession extends TokenSource {
  /** Whether the session can no longer mint tokens (invalid_grant, or closed). */
  readonly ended: boolean;
  /** Ends the session: the cached tokens are forgotten, every later call fails with SessionEndedError. */
  close(): void;
}

/**
 * Access tokens minted from one refresh token (RFC 6749 §6), per tenant and scope.
 *
 * Each refresh rotates the refresh token, so the refreshes of a session run one at a time,
 * whatever tenant or scope they are for: a refresh waits for the one in flight and then
 * presents the refresh token that one returned. The SDK never presents a refresh token
 * once it has received its successor. Concurrent callers for the same tenant and scope
 * share one refresh.
 *
 * Failures:
 * - `invalid_grant` (expired, revoked, reused): the session has ended. That call and every
 *   later one reject with SessionEndedError, without a request; the user signs in again.
 * - Other error responses (`invalid_target` for a tenant the user did not grant,
 *   `invalid_scope`, `invalid_client`, 5xx once the retries are spent): that call rejects
 *   with a TokenEndpointError; the server did not rotate, the session goes on.
 * - No response (NetworkError): the server may have rotated the token and lost the answer,
 *   or never seen the request. The session keeps the token it presented and retries with it
 *   (inside the retry policy, and at the next call). If the server did rotate, that is a
 *   reuse: Gatehouse accepts it within the client's refresh grace window
 *   (`gatehouse client create --refresh-grace 2m`, recommended for clients of this SDK) and
 *   otherwise revokes the grant, which ends the session (invalid_grant).
 */
export function refreshSession(options: RefreshSessionOptions): RefreshSession {
  checkServerOptions(options, 'refreshSession');
  checkClientAuthentication(options, 'refreshSession');
  if (typeof options.onRefreshToken !== 'function') throw new TypeError('refreshSession: onRefreshToken is required (the refresh token rotates on every use)');
  let refreshToken = options.refreshToken ?? options.tokens?.refreshToken;
  if (typeof refreshToken !== 'string' || refreshToken === '') throw new TypeError('refreshSession: refreshToken (or tokens with a refresh token) is required');

  const runtime = runtimeOf(options);
  const defaultExpiresIn = checkSeconds(options.defaultExpiresIn, 'defaultExpiresIn', 300);
  const cache = new TokenCache({ renewBefore: checkSeconds(options.renewBefore, 'renewBefore', 60), defaultExpiresIn, clock: runtime.clock });
  let ended: SessionEndedError | undefined;
  /** A rotated refresh token that onRefreshToken has not accepted yet. */
  let unpersisted: string | undefined;
  /** Every refresh and persistence step, one after the other. */
  let chain: Promise<unknown> = Promise.resolve();
  /** True while the synchronous part of onRefreshToken runs (a call from there would wait for itself). */
  let inCallback = false;

  // Under the key it was issued for, not the session's defaults: a tenant-free token must
  // not be handed out (and sent with X-Tenant) for the session's tenant.
  if (options.tokens) cache.set(targetOf({ tenant: options.tokens.tenant }).key, { ...options.tokens, refreshToken: undefined });

  const serialized = <T>(task: () => Promise<T>): Promise<T> => {
    const run = chain.then(task);
    chain = run.catch(() => {});
    return run;
  };

  const persist = async (): Promise<void> => {
    const token = unpersisted;
    if (token === undefined) return;
    try {
      inCallback = true;
      const persisted = options.onRefreshToken(token);
      inCallback = false;
      await persisted;
    } catch (error) {
      inCallback = false;
      throw new RefreshTokenPersistenceError(error);
    }
    if (unpersisted === token) unpersisted = undefined;
  };

  const refresh = ({ scope, tenant, key }: TokenTarget) =>
    serialized(async (): Promise<TokenSet> => {
      if (ended) throw ended;
      await persist();
      const presented = refreshToken!;
      let token: TokenSet;
      try {
        token = await requestToken(runtime, {
          tokenEndpoint: await tokenEndpointOf(runtime, options, options.fetch),
          credentials: options,
          params: { grant_type: 'refresh_token', refresh_token: presented, scope, tenant },
          defaultExpiresIn,
          secrets: [presented],
        });
      } catch (error) {
        // RFC 6749 §5.2: the refresh token is invalid, expired, revoked or was reused.
        if (error instanceof TokenEndpointError && error.error === 'invalid_grant') {
          ended ??= new SessionEndedError(error);
          cache.clear();
          throw ended;
        }
        throw error;
      }
      if (ended) throw ended; // closed while the request was in flight
      // RFC 6749 §6: the server may keep the refresh token (no refresh_token in the answer).
      if (token.refreshToken !== undefined && token.refreshToken !== presented) {
        refreshToken = token.refreshToken;
        unpersisted = token.refreshToken;
      }
      const handedOut = { ...token, refreshToken: undefined };
      cache.set(key, handedOut); // kept even if persisting fails: it is valid, and the next call persists first
      await persist();
      return handedOut;
    });

  const tokens = createTokenSource({
    cache,
    defaults: options,
    fetch: runtime.fetch,
    obtain: refresh,
    prepare: async (signal) => {
      if (inCallback) throw new TypeError('refreshSession: called from inside onRefreshToken, which every call of the session waits for; call it once onRefreshToken has returned');
      if (ended) throw ended;
      if (unpersisted !== undefined) await abortable(serialized(persist), signal);
    },
  });

  return {
    ...tokens,
    get ended() {
      return ended !== undefined;
    },
    close() {
      ended ??= new SessionEndedError(undefined);
      cache.clear();
    },
  };
}
