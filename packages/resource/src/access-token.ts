/**
 * The verified access token of a request, as the framework adapters leave it: typed
 * non-null for the handlers of routes that require a token.
 */
import type { AccessTokenClaims } from './token-checks.js';

/** A request the Fastify plugin or the connect/Express middleware has seen. */
export interface RequestWithAccessToken {
  accessToken?: AccessTokenClaims | null;
}

/**
 * The claims of the access token that `gatehouseResource` (Fastify) or `requireToken`
 * (connect/Express) verified for this request. For the handler of a route that requires a
 * token, which never runs without one:
 *
 * ```ts
 * app.get('/files', { config: { auth: { scopes: ['documents:read'] } } }, async (request) => listFiles(getAccessToken(request).tenant));
 * ```
 *
 * Throws a TypeError when the request has none: on a public route, or when the plugin or
 * the middleware did not run on it. That is a programming error (the framework answers
 * 500), never a client's: a request without a valid token was answered 401 before the
 * handler ran.
 */
export function getAccessToken(request: RequestWithAccessToken): AccessTokenClaims {
  const claims = request.accessToken;
  if (claims === null || claims === undefined) {
    throw new TypeError('getAccessToken: this request carries no verified access token (a public route, or one that gatehouseResource or requireToken does not protect)');
  }
  return claims;
}
