/**
 * `@gatehouse-auth/client`: the SDK integrators use to get and keep access tokens — a token
 * cache with proactive renewal and single flight, retries with backoff, typed errors,
 * an authorizing fetch, and the authorization code flow with PKCE plus a rotating
 * refresh-token session. Web APIs only (fetch, WebCrypto): Node 20, browsers, edge runtimes.
 */
export { clientCredentials } from './client-credentials.js';
export type { ClientCredentialsClient, ClientCredentialsOptions } from './client-credentials.js';
export { createAuthorizationRequest, exchangeCode, validateCallback } from './authorization-code.js';
export type { AuthorizationRequest, AuthorizationRequestOptions, CallbackOptions, ExchangeCodeOptions } from './authorization-code.js';
export { refreshSession } from './refresh-session.js';
export type { RefreshSession, RefreshSessionOptions } from './refresh-session.js';
export { isInvalidToken } from './authorized-fetch.js';
export type { AuthorizedFetch } from './authorized-fetch.js';
export { discover } from './discovery.js';
export type { AuthorizationServerMetadata, ServerOptions } from './discovery.js';
export type { ClientAuthentication, ClientAuthMethod, TokenSet } from './token-request.js';
export type { RetryOptions, TransportOptions } from './transport.js';
export type { TokenOptions } from './token-cache.js';
export type { TokenSource } from './token-source.js';
export {
  CallbackError,
  DiscoveryError,
  InvalidResponseError,
  NetworkError,
  OAuthClientError,
  RefreshTokenPersistenceError,
  SessionEndedError,
  TokenEndpointError,
} from './errors.js';
export type { CallbackErrorReason } from './errors.js';
