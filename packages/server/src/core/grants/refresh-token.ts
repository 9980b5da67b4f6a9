import { OAuthError } from '../errors.js';
import { requireParam } from '../params.js';
import { digestRefreshToken } from '../refresh-tokens.js';
import { isScopeToken } from '../scope.js';
import type { RefreshTokenRotation, RotationOutcome } from '../storage.js';
import type { AuthorizationGrant, Client } from '../types.js';
import { checkTenant, checkUser, grantTokenResponse, newRefreshToken, refuseAdminScope } from './grant-tokens.js';
import type { Grant, GrantDeps } from './types.js';

/** Longer than any refresh token we issue: not one of ours, and not worth a digest. */
const MAX_REFRESH_TOKEN_LENGTH = 512;

const invalidGrant = () => new OAuthError('invalid_grant', 'the refresh token is invalid, expired or revoked');

/**
 * RFC 6749 §6: the requested scope "MUST NOT include any scope not originally granted by
 * the resource owner, and if omitted is treated as equal to the scope originally granted".
 * A narrower scope narrows this access token only; the grant (and the refresh token)
 * keeps the original scope.
 */
function narrowScope(requested: string | undefined, granted: readonly string[]): string[] {
  const tokens = [...new Set((requested ?? '').split(' ').filter((token) => token !== ''))].sort();
  if (tokens.length === 0) return [...granted];
  if (tokens.some((token) => !isScopeToken(token))) throw new OAuthError('invalid_scope', 'the scope parameter contains a malformed scope token');
  const wider = tokens.filter((token) => !granted.includes(token));
  if (wider.length > 0) throw new OAuthError('invalid_scope', 'the scope parameter asks for a scope the user did not grant');
  return tokens;
}

/**
 * RFC 6749 §6 with rotation and reuse detection (RFC 9700 §4.14.2): every use of a refresh
 * token replaces it; a replaced token presented again means two parties hold the family,
 * so the whole family (the grant, its refresh tokens and, through `grant_id`, its access
 * tokens) is revoked.
 *
 * The scope and `tenant` are checked against the grant before the rotation: a request
 * refused for them leaves the presented token current (rotating first would spend it and
 * lose its successor with the error response).
 */
export const refreshTokenGrant: Grant = {
  type: 'refresh_token',
  allowsPublicClients: true,
  async handle({ authenticated: { client }, params, now }, deps) {
    const presented = requireParam(params, 'refresh_token');
    if (presented.length > MAX_REFRESH_TOKEN_LENGTH) throw invalidGrant();
    const presentedDigest = digestRefreshToken(presented, deps.refreshTokenDigestKey);
    // RFC 6749 §6: the token is bound to the client it was issued to; another client learns nothing.
    const stored = await deps.refreshTokens.findRefreshToken(presentedDigest);
    if (!stored || stored.clientId !== client.id) throw invalidGrant();
    const family = await deps.grants.findGrant(stored.grantId);
    if (!family) throw invalidGrant();
    const scope = narrowScope(params.get('scope'), family.scope);
    refuseAdminScope(family.scope);
    const tenant = checkTenant(params.get('tenant'), family);
    await checkUser(family.userId, deps);

    const next = newRefreshToken(client, family, deps, now);
    const rotation: RefreshTokenRotation = { presentedDigest, clientId: client.id, newToken: next.stored, now, graceSeconds: client.refreshGraceSeconds };
    const grant = await settle(await deps.refreshTokens.rotateRefreshToken(rotation), rotation, client, deps, now);
    return grantTokenResponse({ client, grant, scope, tenant, refreshToken: next.token, now }, deps);
  },
};

/** Turns the rotation's outcome into the grant to issue from, or the refusal. */
async function settle(
  outcome: RotationOutcome,
  rotation: RefreshTokenRotation,
  client: Pick<Client, 'id' | 'tenantSlug'>,
  deps: Pick<GrantDeps, 'grants' | 'refreshTokens' | 'audit' | 'metrics'>,
  now: number,
): Promise<AuthorizationGrant> {
  switch (outcome.status) {
    case 'rotated':
      return outcome.grant;
    case 'grace': {
      // RFC 9700 §4.14.2 allows honouring a just-rotated token for a client that lost the
      // response. Only digests are stored, so the successor issued then cannot be handed out
      // again; instead that successor (never received, still unused) is rotated in turn and
      // the client gets a fresh token of the same family. The lost successor is spent: if
      // the first response did arrive after all, presenting it later is reuse (outside its
      // own grace window) and revokes the family. Within the grace window a rotation that
      // loses a race is refused without revoking anything (no reuse was shown).
      const again = await deps.refreshTokens.rotateRefreshToken({ ...rotation, presentedDigest: outcome.replacement.tokenDigest, graceSeconds: 0 });
      if (again.status === 'rotated') return again.grant;
      throw invalidGrant();
    }
    case 'reused':
      // RFC 9700 §4.14.2: the authorization server cannot tell the attacker from the
      // legitimate client, so it revokes the family; both must start over.
      await deps.grants.revokeGrant(outcome.grant.id, now);
      deps.metrics?.refreshTokenReuse(client);
      // A security event: the presented token is spent, so only the client and the family are named.
      await deps.audit.record({ actor: client.id, tenant: client.tenantSlug, action: 'refresh_token.reuse', target: outcome.grant.id, outcome: 'revoked', details: { grant: outcome.grant.id } });
      throw new OAuthError('invalid_grant', 'the refresh token was already used: every token of its grant is revoked');
    case 'expired':
    case 'revoked':
    case 'unknown':
      throw invalidGrant();
  }
}
