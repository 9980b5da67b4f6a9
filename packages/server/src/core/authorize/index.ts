import { OAuthError } from '../errors.js';
import type { ClientStore } from '../storage.js';
import type { Client } from '../types.js';
import {
  checkClient,
  checkPkce,
  checkPrompt,
  checkRedirectUri,
  checkResponseType,
  checkScope,
  checkSingleParameters,
  checkState,
  checkTenantHint,
  parseAuthorizationParams,
} from './checks.js';
import { buildRedirect, responseModeOf } from './redirect.js';
import { AuthorizationPageError, type AuthorizationRequest } from './types.js';

export { AuthorizationPageError, type AuthorizationRequest, type ResponseType } from './types.js';
export { buildRedirect, responseModeOf } from './redirect.js';

export interface AuthorizeDeps {
  clients: Pick<ClientStore, 'findClient'>;
  issuer: string;
}

/** What GET /oauth/authorize comes to before the user is involved. */
export type AuthorizationOutcome =
  | { kind: 'valid'; request: AuthorizationRequest; client: Client }
  /** The client or redirect URI could not be verified: show an error page, never redirect. */
  | { kind: 'page'; error: AuthorizationPageError }
  /** The client and redirect URI are good, the rest is not: send the error to the client. */
  | { kind: 'redirect'; location: string };

/**
 * Validates an authorization request (RFC 6749 §4.1.1, §4.2.1; RFC 7636; RFC 9700) as an
 * ordered list of named checks. Until checkClient and checkRedirectUri have passed, a
 * failure is an error page; after, it is redirected to the client with `error`,
 * `error_description`, `state` and `iss` (RFC 6749 §4.1.2.1, RFC 9207).
 */
export async function validateAuthorizationRequest(query: string, deps: AuthorizeDeps): Promise<AuthorizationOutcome> {
  let client: Client;
  let redirectUri: string;
  let params;
  try {
    params = parseAuthorizationParams(query);
    client = await checkClient(params, deps.clients);
    redirectUri = checkRedirectUri(params, client);
  } catch (error) {
    if (error instanceof AuthorizationPageError) return { kind: 'page', error };
    throw error;
  }

  // From here the client may be told. The response mode follows the requested type.
  const requested = params.get('response_type')?.[0];
  const mode = responseModeOf(requested === 'token' && client.grantTypes.includes('implicit') ? 'token' : 'code');
  const state = params.get('state')?.[0];
  try {
    checkSingleParameters(params);
    const checkedState = checkState(params);
    const responseType = checkResponseType(params, client);
    const scope = checkScope(params, client);
    const pkce = checkPkce(params, client, responseType);
    const tenantHint = checkTenantHint(params);
    const prompt = checkPrompt(params);
    const omitted = params.get('redirect_uri') === undefined ? { redirectUriOmitted: true as const } : {};
    const request: AuthorizationRequest = { clientId: client.id, redirectUri, ...omitted, responseType, scope, state: checkedState, ...pkce, tenantHint, ...(prompt ? { prompt } : {}) };
    return { kind: 'valid', client, request };
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    // An overlong state is not echoed (it would only make the URL longer still).
    const echoed = state !== undefined && state.length <= 1024 ? state : undefined;
    return { kind: 'redirect', location: errorRedirect(redirectUri, mode, error, echoed, deps.issuer) };
  }
}

/** The redirect carrying an error to the client (RFC 6749 §4.1.2.1, §4.2.2.1, RFC 9207). */
export function errorRedirect(redirectUri: string, mode: 'query' | 'fragment', error: OAuthError, state: string | undefined, issuer: string): string {
  return buildRedirect(redirectUri, mode, { error: error.code, error_description: error.description, state }, issuer);
}

/**
 * `prompt=none` could not be honoured without showing a page (OpenID Connect Core 1.0
 * §3.1.2.6; not RFC 6749 codes, so not OAuthErrors): `login_required` when nobody is
 * signed in, `consent_required` when the signed-in user has not agreed to what is asked.
 * With `state` and `iss` (RFC 9207), in the query or fragment of the response type.
 */
export function promptNoneRefused(request: AuthorizationRequest, issuer: string, error: 'login_required' | 'consent_required'): string {
  const description = error === 'login_required' ? 'the user must sign in (prompt=none was requested)' : 'the user must consent (prompt=none was requested)';
  return buildRedirect(request.redirectUri, responseModeOf(request.responseType), { error, error_description: description, state: request.state }, issuer);
}

/** `login_required` (see promptNoneRefused). */
export function loginRequired(request: AuthorizationRequest, issuer: string): string {
  return promptNoneRefused(request, issuer, 'login_required');
}

/** The user refused (RFC 6749 §4.1.2.1 `access_denied`). */
export function denyAuthorization(request: AuthorizationRequest, issuer: string): string {
  const error = new OAuthError('access_denied', 'the user denied the request');
  return errorRedirect(request.redirectUri, responseModeOf(request.responseType), error, request.state, issuer);
}
