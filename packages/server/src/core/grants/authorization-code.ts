import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { digestCode } from '../authorization-codes.js';
import { OAuthError } from '../errors.js';
import { requireParam, type Params } from '../params.js';
import type { AuthorizationCode, Client } from '../types.js';
import { checkTenant, checkUser, grantTokenResponse, newRefreshToken, refuseAdminScope } from './grant-tokens.js';
import type { Grant, GrantDeps } from './types.js';

/** RFC 7636 §4.1: code-verifier = 43*128unreserved. */
const CODE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/** Longer than any code we issue: not one of ours, and not worth a digest. */
const MAX_CODE_LENGTH = 512;

interface CodeExchangeRequest {
  code: string;
  /** Undefined when the client left it out (allowed only if the authorization request did too). */
  redirectUri: string | undefined;
  codeVerifier: string | undefined;
  tenant: string | undefined;
}

/**
 * Reads the token request (RFC 6749 §4.1.3). Everything that can be refused without the
 * code is refused here, before the code is consumed, so a malformed request does not
 * burn it.
 */
function readRequest(params: Params): CodeExchangeRequest {
  const code = requireParam(params, 'code');
  // RFC 6749 §4.1.3: "REQUIRED, if the redirect_uri parameter was included in the
  // authorization request": checkRedirectUri decides once the code is known.
  const redirectUri = params.get('redirect_uri');
  const codeVerifier = params.get('code_verifier');
  if (codeVerifier !== undefined && !CODE_VERIFIER.test(codeVerifier)) {
    throw new OAuthError('invalid_request', 'the code_verifier must be 43-128 characters of A-Z, a-z, 0-9, hyphen, period, underscore and tilde (RFC 7636 section 4.1)');
  }
  return { code, redirectUri, codeVerifier, tenant: params.get('tenant') };
}

const invalidCode = () => new OAuthError('invalid_grant', 'the authorization code is invalid, expired or was already used');

/**
 * The stored code the request names, read without changing it: every check that proves the
 * request (client, redirect URI, PKCE) runs against it before anything is consumed, so a
 * code thief without the verifier or the client's credentials neither spends an unredeemed
 * code nor revokes what a redeemed one issued (RFC 9700 §4.5: a request that cannot prove
 * itself must change nothing).
 */
async function findCode(code: string, deps: Pick<GrantDeps, 'codes' | 'codeDigestKey'>): Promise<AuthorizationCode> {
  if (code.length > MAX_CODE_LENGTH) throw invalidCode();
  const stored = await deps.codes.findCode(digestCode(code, deps.codeDigestKey));
  if (!stored) throw invalidCode();
  return stored;
}

/**
 * Consumes the code, atomically (CodeStore.consumeCode), once the request has proved
 * itself: whatever happens next, it cannot be redeemed again. A replay that proves itself
 * (the right client, redirect URI and verifier: the code was stolen together with them, or
 * the client misbehaves) revokes the grant issued from the first redemption, and with it
 * every refresh and access token of that grant (RFC 6749 §4.1.2: "MUST deny the request
 * and SHOULD revoke … all tokens previously issued based on that authorization code").
 */
async function consumeCode(
  codeDigest: string,
  client: Pick<Client, 'id' | 'tenantSlug'>,
  deps: Pick<GrantDeps, 'codes' | 'grants' | 'audit' | 'metrics'>,
  now: number,
): Promise<AuthorizationCode> {
  const outcome = await deps.codes.consumeCode(codeDigest, now);
  switch (outcome.status) {
    case 'consumed':
      return outcome.code;
    case 'replayed': {
      const revoked = await deps.grants.revokeGrantByCode(codeDigest, now);
      deps.metrics?.authorizationCodeReplay(client);
      // A security event: named by the client that replayed it and the grant revoked (never the code).
      await deps.audit.record({
        actor: client.id,
        tenant: client.tenantSlug,
        action: 'authorization_code.replay',
        target: revoked?.id ?? null,
        outcome: revoked ? 'revoked' : 'refused',
        details: revoked ? { grant: revoked.id } : {},
      });
      throw invalidCode();
    }
    case 'expired':
    case 'unknown':
      throw invalidCode();
  }
}

/** RFC 6749 §4.1.3: the code was issued to the authenticated client. */
function checkClient(code: AuthorizationCode, client: Client): void {
  if (code.clientId !== client.id) throw new OAuthError('invalid_grant', 'the authorization code was issued to another client');
}

/**
 * RFC 6749 §4.1.3: redirect_uri is "REQUIRED, if the redirect_uri parameter was included
 * in the authorization request", and then identical to it (simple string comparison, RFC
 * 3986 §6.2.1), for every client, however many URIs it registered. Only when the
 * authorization request left it out (a client with one registered URI, §3.1.2.3) may the
 * token request leave it out too; sent anyway, it must be that registered URI.
 */
function checkRedirectUri(code: AuthorizationCode, redirectUri: string | undefined, client: Pick<Client, 'redirectUris'>): void {
  if (code.redirectUri === null) {
    if (redirectUri === undefined || (client.redirectUris.length === 1 && client.redirectUris[0] === redirectUri)) return;
    throw new OAuthError('invalid_grant', 'the redirect_uri differs from the one the authorization code was issued for');
  }
  if (redirectUri === undefined) {
    throw new OAuthError('invalid_grant', 'the redirect_uri parameter is required: the authorization request carried one');
  }
  if (code.redirectUri !== redirectUri) {
    throw new OAuthError('invalid_grant', 'the redirect_uri differs from the one the authorization code was issued for');
  }
}

/**
 * RFC 7636 §4.6, RFC 9700 §2.1.1 and §4.8.2 (PKCE downgrade): S256 only. A code issued
 * with a challenge needs the verifier; a verifier sent for a code issued without a
 * challenge is refused (an attacker stripping the challenge from the authorization request
 * would otherwise pass); a public client's code always has a challenge (the authorization
 * endpoint requires it), and one without is refused anyway.
 */
function checkPkce(code: AuthorizationCode, codeVerifier: string | undefined, client: Client): void {
  if (code.codeChallenge === null) {
    if (codeVerifier !== undefined) throw new OAuthError('invalid_grant', 'a code_verifier was sent, but the authorization request carried no code_challenge');
    if (client.isPublic) throw new OAuthError('invalid_grant', 'the authorization code of a public client must be bound to a PKCE code_challenge');
    return;
  }
  if (code.codeChallengeMethod !== 'S256') throw new OAuthError('invalid_grant', 'the authorization code was issued with an unsupported code_challenge_method');
  if (codeVerifier === undefined) throw new OAuthError('invalid_grant', 'the code_verifier is required: the authorization request carried a code_challenge');
  // BASE64URL-ENCODE(SHA256(ASCII(code_verifier))) == code_challenge, compared in constant time.
  const computed = createHash('sha256').update(codeVerifier, 'ascii').digest();
  const stored = Buffer.from(code.codeChallenge, 'base64url');
  const comparable = stored.length === computed.length ? stored : Buffer.alloc(computed.length);
  const equal = timingSafeEqual(computed, comparable);
  if (!equal || stored.length !== computed.length || stored.toString('base64url') !== code.codeChallenge) {
    throw new OAuthError('invalid_grant', 'the code_verifier does not match the code_challenge');
  }
}

/**
 * RFC 6749 §4.1.3: exchanges an authorization code for an access token (and a refresh
 * token when the client may use the refresh_token grant). The request proves itself first
 * against the stored code (client, redirect URI, PKCE): one that does not is refused and
 * changes nothing. Then the code is consumed (atomically), and what remains is checked: a
 * `tenant` the user did not grant (`invalid_target`) spends the code, and nothing is issued
 * from it: the client must send a granted tenant, or none, with the code.
 */
export const authorizationCodeGrant: Grant = {
  type: 'authorization_code',
  allowsPublicClients: true,
  async handle({ authenticated: { client }, params, now }, deps) {
    const request = readRequest(params);
    const stored = await findCode(request.code, deps);
    // An unexpired code already redeemed answers as any bad code would; an expired one too.
    if (stored.consumedAt === null && stored.expiresAt <= now) throw invalidCode();
    checkClient(stored, client);
    checkRedirectUri(stored, request.redirectUri, client);
    checkPkce(stored, request.codeVerifier, client);
    const code = await consumeCode(stored.codeDigest, client, deps, now);
    const tenant = checkTenant(request.tenant, code);
    refuseAdminScope(code.scope);
    await checkUser(code.userId, deps);

    const absoluteExpiresAt = now + client.refreshAbsoluteTtl * 1000;
    const issued = client.grantTypes.includes('refresh_token') ? newRefreshToken(client, { absoluteExpiresAt }, deps, now) : undefined;
    // The grant and its first refresh token are written together (one transaction).
    const grant = await deps.grants.createGrant({
      id: randomUUID(),
      clientId: client.id,
      userId: code.userId,
      codeDigest: code.codeDigest,
      scope: code.scope,
      tenants: code.tenants,
      createdAt: now,
      absoluteExpiresAt,
      ...(issued ? { refreshToken: issued.stored } : {}),
    });
    // A replay of the code raced this exchange and won: the grant is born revoked.
    if (grant.revokedAt !== null) throw new OAuthError('invalid_grant', 'the authorization code is invalid, expired or was already used');
    const refreshToken = issued?.token;
    return grantTokenResponse({ client, grant, scope: grant.scope, tenant, refreshToken, now }, deps);
  },
};
