import { authenticateClient, type ClientAuthDeps } from './client-auth.js';
import { OAuthError } from './errors.js';
import { GRANTS, type GrantDeps, type TokenResponse } from './grants/index.js';
import { checkFormBody, readFormRequest, requireParam, type OAuthRequest } from './params.js';

export type TokenEndpointDeps = ClientAuthDeps & GrantDeps;

/**
 * POST /oauth/token (RFC 6749 §3.2), as an ordered list of checks:
 * form body (a non-form body with an Authorization header: refused after authentication)
 * → grant_type known → client authenticated → grant allowed for the client →
 * the grant's own handler.
 */
export async function handleTokenRequest(request: OAuthRequest, deps: TokenEndpointDeps, now: number): Promise<TokenResponse> {
  const form = readFormRequest(request);
  const { params } = form;
  // A refused body has no grant_type: authenticate first, then refuse the body.
  const grantType = form.refusal ? undefined : requireParam(params, 'grant_type');
  const grant = grantType === undefined ? undefined : GRANTS.get(grantType);
  if (grantType !== undefined && !grant) throw new OAuthError('unsupported_grant_type', 'the grant_type parameter names a grant type this server does not support');

  const authenticated = await authenticateClient(request, params, deps, now);
  checkFormBody(form);
  if (!grant) throw new OAuthError('invalid_request', 'the grant_type parameter is required');
  const { client } = authenticated;
  if (client.isPublic && !grant.allowsPublicClients) {
    throw new OAuthError('unauthorized_client', `public clients cannot use the ${grant.type} grant`);
  }
  if (!client.grantTypes.includes(grant.type)) {
    throw new OAuthError('unauthorized_client', `the client is not allowed to use the ${grant.type} grant`);
  }
  const response = await grant.handle({ authenticated, params, now }, deps);
  deps.metrics?.tokenIssued(grant.type, client);
  return response;
}
