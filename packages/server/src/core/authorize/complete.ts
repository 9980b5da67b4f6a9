import { createHmac } from 'node:crypto';
import { accessTokenTtlOf, mintAccessToken } from '../access-token.js';
import { AUTHORIZATION_CODE_PREFIX, digestCode } from '../authorization-codes.js';
import type { Config } from '../config.js';
import type { KeyRing } from '../keys.js';
import { deriveKey } from '../secrets.js';
import type { CodeStore, ConsentStore } from '../storage.js';
import type { Client, Consent, User } from '../types.js';
import { buildRedirect, responseModeOf } from './redirect.js';
import type { AuthorizationRequest } from './types.js';

/**
 * The end of an authorization: what the user agreed to (remembered consent or the
 * consent page), then the code (or, legacy, the token) sent to the client.
 */

/** RFC 9700 §2.1.2: an implicit token lives at most 15 minutes (it cannot be revoked through a grant). */
export const IMPLICIT_TOKEN_MAX_TTL = 15 * 60;

/**
 * The tenants a remembered consent grants for this request, or undefined when the user
 * must be asked: a scope the user has not agreed to, a hinted tenant of the user's that
 * was not granted (consent grows by tenant as by scope), no remembered tenant the user
 * still belongs to, or (implicit: one token, one tenant) several.
 */
export function tenantsFromConsent(consent: Consent | undefined, request: AuthorizationRequest, user: Pick<User, 'tenants'>): string[] | undefined {
  if (!consent) return undefined;
  const agreed = new Set(consent.scopes);
  if (!request.scope.every((scope) => agreed.has(scope))) return undefined;
  const tenants = grantedTenants(consent, user);
  const hinted = hintedTenant(request, user);
  if (hinted !== undefined && !tenants.includes(hinted)) return undefined;
  if (user.tenants.length > 0 && tenants.length === 0) return undefined;
  if (request.responseType === 'token' && tenants.length > 1) return undefined;
  return tenants;
}

/** Why a tenant choice on the consent page cannot be accepted; undefined when it can. */
export function tenantChoiceProblem(chosen: readonly string[], user: Pick<User, 'tenants'>, request: Pick<AuthorizationRequest, 'responseType'>): string | undefined {
  const member = new Set(user.tenants.map((tenant) => tenant.slug));
  if (chosen.some((slug) => !member.has(slug))) return 'Choose among your own workspaces.';
  if (member.size > 0 && chosen.length === 0) return 'Choose at least one workspace.';
  if (request.responseType === 'token' && chosen.length > 1) return 'This application can be given one workspace only.';
  return undefined;
}

/**
 * The tenant pre-selected on the consent page: the request's `tenant` hint when the user
 * belongs to it, else none. A hint naming any other tenant, existing or not, is ignored
 * alike (the page must not tell whether it exists); what is granted is what the user submits.
 */
export function hintedTenant(request: Pick<AuthorizationRequest, 'tenantHint'>, user: Pick<User, 'tenants'>): string | undefined {
  return user.tenants.some((tenant) => tenant.slug === request.tenantHint) ? request.tenantHint : undefined;
}

/** The tenants of a remembered consent the user still belongs to. */
function grantedTenants(consent: Consent | undefined, user: Pick<User, 'tenants'>): string[] {
  const member = new Set(user.tenants.map((tenant) => tenant.slug));
  return (consent?.tenants ?? []).filter((slug) => member.has(slug));
}

/**
 * The tenants checked from the start on the consent page: those granted before (still the
 * user's) plus the hinted one, so that asking again widens the grant rather than
 * replacing it. Implicit (one token, one tenant): the hinted one, else the only one granted.
 */
export function preCheckedTenants(consent: Consent | undefined, request: Pick<AuthorizationRequest, 'tenantHint' | 'responseType'>, user: Pick<User, 'tenants'>): string[] {
  const granted = grantedTenants(consent, user);
  const hinted = hintedTenant(request, user);
  if (request.responseType === 'token') return hinted !== undefined ? [hinted] : granted.length === 1 ? granted : [];
  return [...new Set([...granted, ...(hinted !== undefined ? [hinted] : [])])].sort();
}

/** The tenants granted on the consent page: the chosen ones, or the user's only tenant. */
export function chosenTenants(submitted: readonly string[], user: Pick<User, 'tenants'>): string[] {
  if (user.tenants.length === 1) return [user.tenants[0]!.slug];
  return [...new Set(submitted)].sort();
}

/** Remembers the consent: the scopes agreed to so far plus these, and the tenants just granted. */
export async function rememberConsent(
  consents: Pick<ConsentStore, 'findConsent' | 'saveConsent'>,
  userId: string,
  request: AuthorizationRequest,
  tenants: readonly string[],
): Promise<void> {
  const previous = await consents.findConsent(userId, request.clientId);
  const scopes = [...new Set([...(previous?.scopes ?? []), ...request.scope])].sort();
  await consents.saveConsent({ userId, clientId: request.clientId, scopes, tenants: [...tenants] });
}

export interface ApprovalDeps {
  codes: Pick<CodeStore, 'createCode'>;
  keys: Pick<KeyRing, 'signingKey'>;
  config: Pick<Config, 'issuer' | 'audience' | 'accessTokenTtl' | 'maxAccessTokenTtl' | 'authorizationCodeTtl'>;
  /** codeDigestKey(masterKey) (src/core/authorization-codes.ts). */
  codeDigestKey: Buffer;
}

export interface Approval {
  request: AuthorizationRequest;
  client: Client;
  user: { id: string; authTime: number };
  tenants: string[];
  /** The authorization session's one-time nonce (AuthorizationSession.nonce). */
  nonce: string;
}

/**
 * The code of one approval: an HMAC of the session's one-time nonce (256 random bits, known
 * only to the browser's sealed session) under a key derived from the code digest key. It
 * is as unguessable as a random code, and approving the same session again yields the same
 * code, whose digest is already stored: createCode refuses it (ConflictError), so a resent
 * login or consent form gets no second code (one approval, one code).
 */
export function approvalCode(nonce: string, codeDigestKey: Buffer): string {
  return AUTHORIZATION_CODE_PREFIX + createHmac('sha256', deriveKey(codeDigestKey, 'approval code')).update(nonce, 'utf8').digest('base64url');
}

/**
 * The successful response (RFC 6749 §4.1.2 / §4.2.2), as the redirect location. For
 * `code`: a fresh code, stored only as its digest, bound to the client, redirect URI,
 * PKCE challenge, scope, tenants and user, living `authorizationCodeTtl`. For `token`:
 * an access token in the fragment, no refresh token (§4.2.2), at most 15 minutes, and the
 * approval's code stored already expired, only to make the approval single-use.
 * ConflictError when the session approved before (approvalCode).
 */
export async function approveAuthorization({ request, client, user, tenants, nonce }: Approval, deps: ApprovalDeps, now: number): Promise<string> {
  const mode = responseModeOf(request.responseType);
  const code = approvalCode(nonce, deps.codeDigestKey);
  await deps.codes.createCode({
    codeDigest: digestCode(code, deps.codeDigestKey),
    clientId: client.id,
    userId: user.id,
    redirectUri: request.redirectUriOmitted ? null : request.redirectUri,
    scope: request.scope,
    tenants,
    codeChallenge: request.codeChallenge,
    codeChallengeMethod: request.codeChallengeMethod,
    authTime: user.authTime,
    // Kept until pruned (10 minutes after expiry, the session's lifetime at least), so a resent form is recognised.
    expiresAt: request.responseType === 'code' ? now + deps.config.authorizationCodeTtl * 1000 : now,
  });
  if (request.responseType === 'code') {
    return buildRedirect(request.redirectUri, mode, { code, state: request.state }, deps.config.issuer);
  }
  const ttl = Math.min(accessTokenTtlOf(client, deps.config), IMPLICIT_TOKEN_MAX_TTL);
  const { token } = await mintAccessToken({ client, subject: user.id, scope: request.scope, tenant: tenants[0], ttl }, deps, now);
  return buildRedirect(
    request.redirectUri,
    mode,
    {
      access_token: token,
      token_type: 'Bearer',
      expires_in: String(ttl),
      ...(request.scope.length > 0 ? { scope: request.scope.join(' ') } : {}),
      state: request.state,
    },
    deps.config.issuer,
  );
}
