import { findActiveTokenClient, verifyAccessToken, type ActiveCheckDeps, type VerifyDeps } from './access-token.js';
import { authenticateClient, basicChallenge, type ClientAuthDeps } from './client-auth.js';
import { OAuthError } from './errors.js';
import { checkFormBody, readFormRequest, requireParam, type OAuthRequest } from './params.js';

export type IntrospectionResponse =
  | { active: false }
  | {
      active: true;
      token_type: 'Bearer';
      client_id: string;
      sub: string;
      aud: string;
      iss: string;
      jti: string;
      iat: number;
      exp: number;
      scope?: string;
      tenant?: string;
    };

export type IntrospectionDeps = ClientAuthDeps & VerifyDeps & ActiveCheckDeps;

const INACTIVE = Object.freeze({ active: false as const });

/**
 * POST /oauth/introspect (RFC 7662). The caller must authenticate as a confidential
 * client (§2.1; a public client's bare client_id proves nothing, and an open endpoint
 * would let anyone scan for valid tokens). A token that
 * is malformed, unknown, expired, revoked, or belongs to another tenant than the
 * caller's (unless the caller is a resource server) is exactly `{"active":false}`
 * (§2.2: no further detail about why).
 */
export async function handleIntrospectionRequest(request: OAuthRequest, deps: IntrospectionDeps, now: number): Promise<IntrospectionResponse> {
  const form = readFormRequest(request);
  const { params } = form;
  const { client: caller, method } = await authenticateClient(request, params, deps, now);
  checkFormBody(form);
  if (method === 'none') {
    throw new OAuthError('invalid_client', 'client authentication failed: introspection requires a confidential client', {
      headers: basicChallenge(deps.config.issuer),
    });
  }
  const token = requireParam(params, 'token');
  // token_type_hint is only a hint (§2.1); access tokens are the only kind so far.
  const claims = await verifyAccessToken(token, deps, now);
  if (!claims) return INACTIVE;
  const owner = await findActiveTokenClient(claims, deps);
  // A tenant's clients see their tenant's tokens; the provider's resource servers see all.
  if (!owner || (owner.tenantId !== caller.tenantId && !caller.resourceServer)) return INACTIVE;
  return {
    active: true,
    token_type: 'Bearer',
    client_id: claims.client_id,
    sub: claims.sub,
    aud: claims.aud,
    iss: claims.iss,
    jti: claims.jti,
    iat: claims.iat,
    exp: claims.exp,
    ...(claims.scope !== undefined ? { scope: claims.scope } : {}),
    ...(claims.tenant !== undefined ? { tenant: claims.tenant } : {}),
  };
}
