import { verifyAccessToken, type VerifyDeps } from './access-token.js';
import { authenticateClient, type ClientAuthDeps } from './client-auth.js';
import { OAuthError } from './errors.js';
import { readFormRequest, requireParam, type OAuthRequest } from './params.js';
import type { RevocationStore } from './storage.js';

export type RevocationDeps = ClientAuthDeps & VerifyDeps & { revocations: Pick<RevocationStore, 'revokeAccessToken'> };

/**
 * POST /oauth/revoke (RFC 7009). The caller must authenticate (§2.1) and may revoke
 * only tokens issued to it; a public client identifies itself by its client_id alone
 * (§2.1 allows revocation by public clients, for their own tokens). An invalid,
 * expired or already revoked token is not an error: the answer is 200 either way
 * (§2.2), so the endpoint tells nothing about tokens the caller does not hold.
 */
export async function handleRevocationRequest(request: OAuthRequest, deps: RevocationDeps, now: number): Promise<void> {
  const params = readFormRequest(request);
  const { client: caller } = await authenticateClient(request, params, deps, now);
  const token = requireParam(params, 'token');
  const claims = await verifyAccessToken(token, deps, now);
  if (!claims) return;
  if (claims.client_id !== caller.id) {
    // §2.1: the server verifies the token was issued to the requesting client and
    // refuses the request otherwise.
    throw new OAuthError('unauthorized_client', 'the token was not issued to this client');
  }
  await deps.revocations.revokeAccessToken({ jti: claims.jti, clientId: claims.client_id, expiresAt: claims.exp });
}
