import { checkServerOptions, tokenEndpointOf, type ServerOptions } from './discovery.js';
import { checkClientAuthentication, requestToken, type ClientAuthMethod } from './token-request.js';
import { runtimeOf, type TransportOptions } from './transport.js';
import { checkSeconds, TokenCache } from './token-cache.js';
import { createTokenSource, type TokenSource } from './token-source.js';

export type ClientCredentialsOptions = ServerOptions &
  TransportOptions & {
    clientId: string;
    clientSecret: string;
    /** How the secret is sent (RFC 6749 §2.3.1). Default `client_secret_basic`. */
    authMethod?: Exclude<ClientAuthMethod, 'none'>;
    /** The scope asked for when getToken names none. Default: none (the client's default scopes). */
    scope?: string | readonly string[];
    /** The tenant asked for (and sent as `X-Tenant` by authorizedFetch) when a call names none. */
    tenant?: string;
    /** RFC 8707 resource indicator(s), e.g. for servers that issue JWTs per audience. */
    resource?: string | readonly string[];
    /** A cached token is renewed when it has this many seconds left, or fewer. Default 60. */
    renewBefore?: number;
    /** The lifetime assumed when the server sends no `expires_in`, in seconds. Default 300. */
    defaultExpiresIn?: number;
  };

export interface ClientCredentialsClient extends TokenSource {
  /** Forgets every cached token. */
  clear(): void;
}

/**
 * The machine-to-machine grant (RFC 6749 §4.4) with a token cache: one entry per
 * normalized scope set and tenant; renewal `renewBefore` seconds before expiry; a single
 * request in flight per entry; retries with backoff on network errors, 5xx and 429. When a
 * renewal fails with such a temporary error while the cached token has not expired yet,
 * that token is handed out instead (and for a few seconds without a new attempt).
 *
 * ```ts
 * const client = clientCredentials({ issuer: 'https://auth.example.com', clientId, clientSecret, scope: 'documents:read' });
 * const response = await client.authorizedFetch('https://api.example.com/files', {}, { tenant: 'acme' });
 * ```
 */
export function clientCredentials(options: ClientCredentialsOptions): ClientCredentialsClient {
  checkServerOptions(options, 'clientCredentials');
  const authMethod = checkClientAuthentication({ ...options, authMethod: options.authMethod ?? 'client_secret_basic' }, 'clientCredentials');
  if (authMethod === 'none') throw new TypeError('clientCredentials: a client secret is required (RFC 6749 §4.4: confidential clients only)');
  const runtime = runtimeOf(options);
  const defaultExpiresIn = checkSeconds(options.defaultExpiresIn, 'defaultExpiresIn', 300);
  const cache = new TokenCache({ renewBefore: checkSeconds(options.renewBefore, 'renewBefore', 60), defaultExpiresIn, clock: runtime.clock });
  const credentials = { clientId: options.clientId, clientSecret: options.clientSecret, authMethod };

  const tokens = createTokenSource({
    cache,
    defaults: options,
    fetch: runtime.fetch,
    obtain: async ({ scope, tenant }) =>
      requestToken(runtime, {
        tokenEndpoint: await tokenEndpointOf(runtime, options, options.fetch),
        credentials,
        params: { grant_type: 'client_credentials', scope, tenant, resource: options.resource },
        defaultExpiresIn,
      }),
  });
  return { ...tokens, clear: () => cache.clear() };
}
