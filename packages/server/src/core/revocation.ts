import { verifyAccessToken, type VerifyDeps } from './access-token.js';
import { authenticateClient, type ClientAuthDeps } from './client-auth.js';
import { OAuthError } from './errors.js';
import { checkFormBody, readFormRequest, requireParam, type OAuthRequest } from './params.js';
import { digestRefreshToken } from './refresh-tokens.js';
import type { GrantStore, RefreshTokenStore, RevocationStore } from './storage.js';
import type { Client } from './types.js';

export type RevocationDeps = ClientAuthDeps &
  VerifyDeps & {
    revocations: Pick<RevocationStore, 'revokeAccessToken'>;
    refreshTokens: Pick<RefreshTokenStore, 'findRefreshToken'>;
    grants: Pick<GrantStore, 'revokeGrant'>;
    /** HMAC key of refresh token digests (refreshTokenDigestKey). */
    refreshTokenDigestKey: Buffer;
  };

/** Longer than any refresh token we issue (and than any JWT verifyAccessToken accepts). */
const MAX_TOKEN_LENGTH = 8192;

/**
 * POST /oauth/revoke (RFC 7009). The caller must authenticate (§2.1) and may revoke
 * only tokens issued to it; a public client identifies itself by its client_id alone
 * (§2.1 allows revocation by public clients, for their own tokens). An invalid,
 * expired or already revoked token is not an error: the answer is 200 either way
 * (§2.2), so the endpoint tells nothing about tokens the caller does not hold.
 *
 * Access tokens: the `jti` alone is revoked (also for a token of a grant). Refresh
 * tokens: the whole grant is revoked (§2.1: "SHOULD also invalidate all access tokens
 * based on the same authorization grant"), with every refresh and access token of it.
 * `token_type_hint` is only a hint (§2.1): a token is looked up as both kinds, so the
 * hint only decides which kind is tried first.
 */
export async function handleRevocationRequest(request: OAuthRequest, deps: RevocationDeps, now: number): Promise<void> {
  const form = readFormRequest(request);
  const { params } = form;
  const { client: caller } = await authenticateClient(request, params, deps, now);
  checkFormBody(form);
  const token = requireParam(params, 'token');
  if (token.length > MAX_TOKEN_LENGTH) return;
  const kinds = params.get('token_type_hint') === 'refresh_token' ? [revokeRefreshToken, revokeAccessToken] : [revokeAccessToken, revokeRefreshToken];
  for (const revoke of kinds) {
    if (await revoke(token, caller, deps, now)) return;
  }
}

/** True when `token` is an access token this server signed (now revoked). */
async function revokeAccessToken(token: string, caller: Client, deps: RevocationDeps, now: number): Promise<boolean> {
  const claims = await verifyAccessToken(token, deps, now);
  if (!claims) return false;
  checkOwner(claims.client_id, caller);
  await deps.revocations.revokeAccessToken({ jti: claims.jti, clientId: claims.client_id, expiresAt: claims.exp });
  return true;
}

/** True when `token` is a known refresh token (now revoked, with its grant). */
async function revokeRefreshToken(token: string, caller: Client, deps: RevocationDeps, now: number): Promise<boolean> {
  const stored = await deps.refreshTokens.findRefreshToken(digestRefreshToken(token, deps.refreshTokenDigestKey));
  if (!stored) return false;
  checkOwner(stored.clientId, caller);
  await deps.grants.revokeGrant(stored.grantId, now);
  return true;
}

function checkOwner(clientId: string, caller: Client): void {
  // §2.1: the server verifies the token was issued to the requesting client and refuses
  // the request otherwise.
  if (clientId !== caller.id) throw new OAuthError('unauthorized_client', 'the token was not issued to this client');
}
