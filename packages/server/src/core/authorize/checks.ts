import { OAuthError } from '../errors.js';
import { nameOfParameter } from '../params.js';
import { ADMIN_SCOPE, resolveRequestedScope } from '../scope.js';
import type { ClientStore } from '../storage.js';
import type { Client, CodeChallengeMethod } from '../types.js';
import { AuthorizationPageError, PROMPTS, type Prompt, type ResponseType } from './types.js';

/**
 * The checks of the authorization endpoint, in the order they run (see index.ts). Each
 * takes only what it needs and either returns what it established or throws:
 * AuthorizationPageError while the client and redirect URI are not yet verified (the
 * user sees an error page), OAuthError afterwards (the client gets a redirect).
 */

/** The query of an authorization request, every value of every parameter. */
export type AuthorizationParams = ReadonlyMap<string, readonly string[]>;

const MAX_PARAMETERS = 64;
/** The `state` travels in the session cookie: long enough for any sane client, short enough for a cookie. */
export const MAX_STATE_LENGTH = 1024;

/** Parses the query string; RFC 6749 §3.1: a parameter sent without a value is omitted. */
export function parseAuthorizationParams(query: string): AuthorizationParams {
  const params = new Map<string, string[]>();
  let count = 0;
  for (const [name, value] of new URLSearchParams(query)) {
    if (++count > MAX_PARAMETERS) throw new AuthorizationPageError('Invalid request', 'The authorization request has too many parameters.');
    if (value === '') continue;
    const values = params.get(name);
    if (values) values.push(value);
    else params.set(name, [value]);
  }
  return params;
}

/** A parameter that identifies the client or its redirect URI: repeated, it cannot be trusted. */
function singleForPage(params: AuthorizationParams, name: string): string | undefined {
  const values = params.get(name);
  if (values && values.length > 1) throw new AuthorizationPageError('Invalid request', `The "${name}" parameter is repeated.`);
  return values?.[0];
}

/** checkClient: `client_id` names an enabled client. Otherwise: an error page. */
export async function checkClient(params: AuthorizationParams, clients: Pick<ClientStore, 'findClient'>): Promise<Client> {
  const clientId = singleForPage(params, 'client_id');
  if (clientId === undefined) throw new AuthorizationPageError('Invalid request', 'The request names no application (the "client_id" parameter is missing).');
  // Client ids are random base64url strings; anything else cannot be one (no lookup).
  const client = /^[A-Za-z0-9_-]{1,128}$/.test(clientId) ? await clients.findClient(clientId) : undefined;
  if (!client || client.disabled || client.tenantDisabled) throw new AuthorizationPageError('Unknown application', 'The application that sent you here is not registered, or is disabled.');
  return client;
}

// RFC 8252 §7.3: a native app's loopback redirect URI may use any port; the port is the
// only part that may differ from the registered URI. Matched on the raw string, so the
// host is exactly the literal address (no userinfo, no case or encoding variants).
const LOOPBACK = /^http:\/\/(127\.0\.0\.1|\[::1\])(?::(\d{1,5}))?([/?][^#]*)?$/;

function withoutLoopbackPort(uri: string): string | undefined {
  const match = LOOPBACK.exec(uri);
  if (!match) return undefined;
  const port = match[2];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535 || port.startsWith('0'))) return undefined;
  return `http://${match[1]}${match[3] ?? ''}`;
}

/** Whether `requested` is acceptable for the `registered` redirect URI. */
export function redirectUriMatches(requested: string, registered: string): boolean {
  // RFC 9700 §2.1 / §4.1.3: exact string comparison, no normalisation, no patterns.
  if (requested === registered) return true;
  const a = withoutLoopbackPort(requested);
  return a !== undefined && a === withoutLoopbackPort(registered);
}

/**
 * checkRedirectUri: the redirect URI equals a registered one (RFC 6749 §3.1.2.3); without
 * `redirect_uri` the client must have exactly one registered. Otherwise: an error page,
 * never a redirect (§4.1.2.1).
 */
export function checkRedirectUri(params: AuthorizationParams, client: Pick<Client, 'redirectUris'>): string {
  const requested = singleForPage(params, 'redirect_uri');
  if (client.redirectUris.length === 0) throw new AuthorizationPageError('Invalid redirect URI', 'The application has no registered redirect URI.');
  if (requested === undefined) {
    if (client.redirectUris.length === 1) return client.redirectUris[0]!;
    throw new AuthorizationPageError('Invalid redirect URI', 'The application has several redirect URIs and the request does not say which one to use.');
  }
  if (client.redirectUris.some((registered) => redirectUriMatches(requested, registered))) return requested;
  throw new AuthorizationPageError('Invalid redirect URI', 'The redirect URI in the request is not registered for this application.');
}

/** checkSingleParameters: RFC 6749 §3.1: request parameters must not be repeated. */
export function checkSingleParameters(params: AuthorizationParams): void {
  for (const [name, values] of params) {
    if (values.length > 1) throw new OAuthError('invalid_request', `${nameOfParameter(name)} is repeated`);
  }
}

/** checkState: the opaque `state`, echoed back; bounded (it travels in the session cookie). */
export function checkState(params: AuthorizationParams): string | undefined {
  const state = params.get('state')?.[0];
  // Bytes, not characters: the state travels in the session cookie (browsers drop cookies over 4 KiB).
  if (state !== undefined && Buffer.byteLength(state, 'utf8') > MAX_STATE_LENGTH) throw new OAuthError('invalid_request', `the state parameter is longer than ${MAX_STATE_LENGTH} bytes`);
  return state;
}

/**
 * checkResponseType: `code` for clients allowed the authorization code grant; `token`
 * (implicit, deprecated by RFC 9700 §2.1.2) only for clients registered with `implicit`.
 */
export function checkResponseType(params: AuthorizationParams, client: Pick<Client, 'grantTypes'>): ResponseType {
  const responseType = params.get('response_type')?.[0];
  if (responseType === undefined) throw new OAuthError('invalid_request', 'the response_type parameter is required');
  if (responseType === 'code') {
    if (!client.grantTypes.includes('authorization_code')) throw new OAuthError('unauthorized_client', 'the client is not allowed to use the authorization code grant');
    return 'code';
  }
  if (responseType === 'token' && client.grantTypes.includes('implicit')) return 'token';
  throw new OAuthError('unsupported_response_type', 'the response_type parameter names a response type this client may not use');
}

/**
 * checkScope: RFC 6749 §3.3, a subset of the client's scopes (its defaults when absent).
 * gatehouse:admin is never granted by a user (README, "Admin API tokens"): it is `invalid_scope`
 * here, so it reaches no consent page, no code and no refresh token.
 */
export function checkScope(params: AuthorizationParams, client: Pick<Client, 'id' | 'scopes' | 'defaultScopes'>): string[] {
  const scope = resolveRequestedScope(params.get('scope')?.[0], client);
  if (scope.includes(ADMIN_SCOPE)) throw new OAuthError('invalid_scope', 'gatehouse:admin cannot be requested at the authorization endpoint: admin API tokens come from the client_credentials grant only');
  return scope;
}

// RFC 7636 §4.2: BASE64URL(SHA256(verifier)) is 43 characters.
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/**
 * checkPkce (RFC 7636, RFC 9700 §2.1.1): a public client must send a challenge; a
 * challenge, whoever sends it, must use S256 (`plain` is refused: it protects nothing
 * once the request is seen) and be well formed. A code issued with a challenge can only
 * be exchanged with its verifier. Not applicable to the implicit response type.
 */
export function checkPkce(
  params: AuthorizationParams,
  client: Pick<Client, 'isPublic'>,
  responseType: ResponseType,
): { codeChallenge: string | null; codeChallengeMethod: CodeChallengeMethod | null } {
  if (responseType !== 'code') return { codeChallenge: null, codeChallengeMethod: null };
  const challenge = params.get('code_challenge')?.[0];
  const method = params.get('code_challenge_method')?.[0];
  if (challenge === undefined) {
    if (method !== undefined) throw new OAuthError('invalid_request', 'code_challenge_method was sent without code_challenge');
    if (client.isPublic) throw new OAuthError('invalid_request', 'PKCE is required: send code_challenge and code_challenge_method=S256');
    return { codeChallenge: null, codeChallengeMethod: null };
  }
  // RFC 7636 §4.3: an absent method means plain, which is refused like an explicit one.
  if (method !== 'S256') throw new OAuthError('invalid_request', 'code_challenge_method must be S256 (plain is not supported)');
  if (!S256_CHALLENGE.test(challenge)) throw new OAuthError('invalid_request', 'code_challenge must be 43 base64url characters (BASE64URL(SHA256(code_verifier)))');
  return { codeChallenge: challenge, codeChallengeMethod: 'S256' };
}

/** The longest tenant slug (admin.ts: 1–63 lowercase letters, digits and inner hyphens). */
export const MAX_TENANT_HINT_LENGTH = 63;
const TENANT_HINT = /^[\x21-\x7E]{1,63}$/; // printable ASCII, 1 to MAX_TENANT_HINT_LENGTH characters

/**
 * checkTenantHint: the optional `tenant` parameter (Gatehouse's own, not RFC 6749), a hint
 * naming the tenant the client expects the user to pick. Bounded printable ASCII, as a
 * slug is (it travels in the session cookie). Only syntax is checked here: the tenant is
 * never looked up, so no answer can tell whether it exists; the consent page pre-selects
 * it only among the user's own tenants, and it never widens what the user grants.
 */
export function checkTenantHint(params: AuthorizationParams): string | undefined {
  const hint = params.get('tenant')?.[0];
  if (hint !== undefined && !TENANT_HINT.test(hint)) {
    throw new OAuthError('invalid_request', `the tenant parameter must be a tenant slug (at most ${MAX_TENANT_HINT_LENGTH} printable ASCII characters)`);
  }
  return hint;
}

/**
 * checkPrompt: the optional `prompt` parameter (OpenID Connect Core 1.0 §3.1.2.1), a
 * space-delimited, case-sensitive list of `none`, `login`, `consent` and `select_account`.
 * An unknown value, or `none` with any other, is invalid_request (redirected).
 */
export function checkPrompt(params: AuthorizationParams): Prompt[] | undefined {
  const value = params.get('prompt')?.[0];
  if (value === undefined) return undefined;
  const known: readonly string[] = PROMPTS;
  const prompts = [...new Set(value.split(' ').filter((part) => part !== ''))];
  const unknown = prompts.find((part) => !known.includes(part));
  if (unknown !== undefined) throw new OAuthError('invalid_request', `the prompt parameter has a value that is not supported (allowed: ${PROMPTS.join(', ')})`);
  if (prompts.includes('none') && prompts.length > 1) throw new OAuthError('invalid_request', 'prompt=none cannot be combined with another value');
  return prompts.length > 0 ? (prompts as Prompt[]) : undefined;
}
