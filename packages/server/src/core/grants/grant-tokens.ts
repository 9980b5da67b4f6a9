import { randomUUID } from 'node:crypto';
import { accessTokenTtlOf, mintAccessToken } from '../access-token.js';
import { OAuthError } from '../errors.js';
import { digestRefreshToken, generateRefreshToken } from '../refresh-tokens.js';
import { ADMIN_SCOPE } from '../scope.js';
import type { AuthorizationGrant, Client } from '../types.js';
import type { GrantDeps, TokenResponse } from './types.js';

/**
 * What the authorization code and refresh token grants share: the checks on the user and
 * the tenant, and the response carrying an access token of the grant.
 */

/**
 * docs/architecture.md, "Per-tenant tokens": the `tenant` parameter names one of the tenants
 * the user granted; the access token is minted for it alone. Without it the token carries
 * no tenant (it may only list the granted tenants). A tenant the user did not grant is
 * RFC 8707 §2 `invalid_target`.
 */
export function checkTenant(requested: string | undefined, grant: Pick<AuthorizationGrant, 'tenants'>): string | undefined {
  if (requested === undefined) return undefined;
  if (grant.tenants.includes(requested)) return requested;
  const granted = grant.tenants.length === 0 ? 'none' : grant.tenants.join(', ');
  throw new OAuthError('invalid_target', `the user did not grant access to the tenant named by the tenant parameter (granted: ${granted})`);
}

/**
 * gatehouse:admin is never granted by a user (README, "Admin API tokens"): the authorization
 * endpoint refuses it, and a code or refresh token that carries it anyway (a record that
 * predates the rule) gets no token (RFC 6749 §5.2 `invalid_scope`).
 */
export function refuseAdminScope(scope: readonly string[]): void {
  if (scope.includes(ADMIN_SCOPE)) throw new OAuthError('invalid_scope', 'gatehouse:admin cannot be granted by a user: admin API tokens come from the client_credentials grant only');
}

/** The user a grant acts for must still exist and be enabled: a disabled user's grants stop working. */
export async function checkUser(userId: string, deps: Pick<GrantDeps, 'users'>): Promise<void> {
  const user = await deps.users.findUser(userId);
  if (!user || user.disabled) throw new OAuthError('invalid_grant', 'the user who authorized the client is disabled or no longer exists');
}

/** A new refresh token and its stored form, for the client's idle lifetime (never past the grant's absolute expiry). */
export function newRefreshToken(client: Pick<Client, 'refreshIdleTtl'>, grant: Pick<AuthorizationGrant, 'absoluteExpiresAt'>, deps: Pick<GrantDeps, 'refreshTokenDigestKey'>, now: number) {
  const token = generateRefreshToken();
  return {
    token,
    stored: {
      id: randomUUID(),
      tokenDigest: digestRefreshToken(token, deps.refreshTokenDigestKey),
      idleExpiresAt: Math.min(now + client.refreshIdleTtl * 1000, grant.absoluteExpiresAt),
    },
  };
}

/**
 * The RFC 6749 §5.1 response: an access token of the grant (sub = the user, `grant_id` =
 * the grant) for `scope` and `tenant`, plus `refreshToken` when one was issued. The access
 * token never outlives the grant.
 */
export async function grantTokenResponse(
  input: { client: Client; grant: AuthorizationGrant; scope: readonly string[]; tenant: string | undefined; refreshToken: string | undefined; now: number },
  deps: Pick<GrantDeps, 'keys' | 'config'>,
): Promise<TokenResponse> {
  const { client, grant, scope, tenant, refreshToken, now } = input;
  const remaining = Math.max(1, Math.floor((grant.absoluteExpiresAt - now) / 1000));
  const ttl = Math.min(accessTokenTtlOf(client, deps.config), remaining);
  const { token } = await mintAccessToken({ client, subject: grant.userId, scope, tenant, ttl, grantId: grant.id }, deps, now);
  return {
    access_token: token,
    token_type: 'Bearer',
    expires_in: ttl,
    ...(scope.length > 0 ? { scope: scope.join(' ') } : {}),
    ...(refreshToken !== undefined ? { refresh_token: refreshToken } : {}),
  };
}
