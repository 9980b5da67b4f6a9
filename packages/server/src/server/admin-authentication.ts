/**
 * Who calls the admin API (issue 14): the Bearer token of the request, verified like any
 * API's by the resource package (signature, issuer, `aud` = the admin API, expiry,
 * revocation through the revocation feed), then its client read from the store. The admin
 * API accepts only `gatehouse:admin` tokens minted for its own audience, so a
 * document-API token is refused here (and an admin token by the document API).
 */
import { ADMIN_SCOPE } from '../core/scope.js';
import type { AdminPrincipal } from '../core/admin/principal.js';
import type { ClientStore } from '../core/storage.js';
import { BearerError, type AccessTokenClaims, type BearerErrorOptions, type Verifier } from '@gatehouse-auth/resource';

/**
 * An admin-API request the token does not authorize, as RFC 6750 §3.1 answers it: `status`
 * 401 (`invalid_token`, or no code when the request carried no token) with the
 * `wwwAuthenticate` challenge to send, 403 `insufficient_scope`, 400 `invalid_request`
 * (a malformed Authorization header), or 503 `temporarily_unavailable` with `retryAfter`
 * (the revocation state could not be read lately). `toJSON()` is the OAuth error body; the
 * admin API may render the same fields as problem+json (RFC 9457), but must send
 * `WWW-Authenticate` as given.
 */
export class AdminAuthenticationError extends BearerError {
  constructor(options: BearerErrorOptions) {
    super(options);
    this.name = 'AdminAuthenticationError';
  }

  static from(error: BearerError): AdminAuthenticationError {
    return new AdminAuthenticationError({
      realm: error.realm,
      code: error.code,
      description: error.description,
      ...(error.scope ? { scope: error.scope } : {}),
      ...(error.retryAfter !== undefined ? { retryAfter: error.retryAfter } : {}),
      cause: error,
    });
  }
}

export interface AdminAuthenticationDeps {
  /** A verifier whose audience is the admin API's (adminAudience), following the revocation feed. */
  verifier: () => Verifier;
  clients: Pick<ClientStore, 'findClient'>;
  /** The realm of the challenges (the issuer, as the verifier's). */
  realm: string;
}

/**
 * The principal of an admin-API request, from its Authorization header: an operator
 * client's token → `{kind: 'operator'}`; a tenant client's → `{kind: 'tenant', tenant}`,
 * the tenant of the token, which must be the client's. Throws AdminAuthenticationError:
 * no or a malformed token, a wrong audience (a document-API token), expired or revoked
 * (401 invalid_token); no gatehouse:admin scope (403 insufficient_scope); a client that
 * is disabled, deleted or whose tenant is disabled (401 invalid_token: the token is no
 * longer active, even before the revocation feed says so).
 */
export async function authenticateAdminRequest(authorization: string | undefined, deps: AdminAuthenticationDeps): Promise<AdminPrincipal> {
  let claims: AccessTokenClaims;
  try {
    // Only the header: the admin API takes no ?access_token= (RFC 6750 §2.3 is opt-in per route).
    claims = await deps.verifier().verify({ headers: authorization === undefined ? {} : { authorization }, url: '/' }, { scopes: [ADMIN_SCOPE], tenant: 'free' });
  } catch (error) {
    if (error instanceof BearerError) throw AdminAuthenticationError.from(error);
    throw error;
  }
  const inactive = () => new AdminAuthenticationError({ realm: deps.realm, code: 'invalid_token', description: 'the access token is revoked, or its client or tenant is disabled' });
  // Issued by client_credentials only: a token of a user's grant never carries gatehouse:admin.
  if (claims.grant_id !== undefined) throw inactive();
  const client = await deps.clients.findClient(claims.client_id);
  if (!client || client.disabled || client.tenantDisabled) throw inactive();
  // The store is exact where the feed may lag by a poll: a rotation or disabling is seen at once.
  if (typeof claims.client_epoch !== 'number' || claims.client_epoch < client.revocationEpoch) throw inactive();
  if (client.tenantSlug === null) {
    if (claims.tenant !== undefined) throw inactive();
    return { kind: 'operator', actor: client.id };
  }
  if (claims.tenant !== client.tenantSlug) throw inactive();
  return { kind: 'tenant', tenant: client.tenantSlug, actor: client.id };
}
