/**
 * The authorization code grant with PKCE (RFC 6749 §4.1, RFC 7636, RFC 9700 §2.1.1),
 * for an application acting for a user: build the authorization URL, validate the
 * redirect back (state, RFC 9207 `iss`, error responses), exchange the code.
 */
import { checkServerOptions, discoverWith, isAbsoluteUrl, tokenEndpointOf, type ServerOptions } from './discovery.js';
import { CallbackError, DiscoveryError, sanitizeErrorCode, sanitizeServerText } from './errors.js';
import { base64url } from './encoding.js';
import { checkClientAuthentication, requestToken, type ClientAuthentication, type TokenSet } from './token-request.js';
import { runtimeOf, type TransportOptions } from './transport.js';
import { checkSeconds, normalizeScope } from './token-cache.js';

export interface AuthorizationRequestOptions extends TransportOptions {
  /** The issuer, to discover the authorization endpoint; or give `authorizationEndpoint`. */
  issuer?: string;
  authorizationEndpoint?: string;
  clientId: string;
  /** Exactly as registered (`gatehouse client create --redirect-uri`). */
  redirectUri: string;
  scope?: string | readonly string[];
  /** Default: 32 random bytes, base64url. */
  state?: string;
  /**
   * Gatehouse: a tenant hint (a slug), sent as `tenant`. The consent page pre-selects that
   * tenant when the user belongs to it, and ignores a hint naming another one. A hint, not a
   * grant: the user still picks the tenants, so `exchangeCode({ tenant })` may fail with
   * `invalid_target` for the hinted tenant.
   */
  tenant?: string;
  /** More parameters for the authorization endpoint (e.g. `prompt`). */
  extraParams?: Record<string, string>;
}

export interface AuthorizationRequest {
  /** Send the user's browser here. */
  url: string;
  /** Keep it (e.g. in the session) to validate the callback. */
  state: string;
  /** Keep it secret (server-side session), for exchangeCode. */
  codeVerifier: string;
}

/**
 * The URL of an authorization request (`response_type=code`, PKCE S256, and the `tenant`
 * hint when given), with a fresh `state` and code verifier for the application to keep
 * until the callback.
 */
export async function createAuthorizationRequest(options: AuthorizationRequestOptions): Promise<AuthorizationRequest> {
  if (typeof options.clientId !== 'string' || options.clientId === '') throw new TypeError('createAuthorizationRequest: clientId is required');
  if (!isAbsoluteUrl(options.redirectUri)) throw new TypeError('createAuthorizationRequest: redirectUri must be an absolute URL');
  const endpoint = await authorizationEndpointOf(options);
  const codeVerifier = randomToken();
  const state = options.state ?? randomToken();
  const url = new URL(endpoint);
  const params: Record<string, string | undefined> = {
    ...options.extraParams,
    response_type: 'code',
    client_id: options.clientId,
    redirect_uri: options.redirectUri,
    scope: normalizeScope(options.scope),
    state,
    code_challenge: await s256(codeVerifier),
    code_challenge_method: 'S256',
    ...(options.tenant !== undefined ? { tenant: options.tenant } : {}),
  };
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return { url: url.href, state, codeVerifier };
}

async function authorizationEndpointOf(options: AuthorizationRequestOptions): Promise<string> {
  if (options.authorizationEndpoint !== undefined) {
    if (!isAbsoluteUrl(options.authorizationEndpoint)) throw new TypeError('createAuthorizationRequest: authorizationEndpoint must be an absolute URL');
    return options.authorizationEndpoint;
  }
  if (options.issuer === undefined) throw new TypeError('createAuthorizationRequest: issuer or authorizationEndpoint is required');
  const metadata = await discoverWith(runtimeOf(options), options.issuer, options.fetch);
  if (typeof metadata.authorization_endpoint !== 'string') throw new DiscoveryError(options.issuer, 'the metadata has no authorization_endpoint');
  return metadata.authorization_endpoint;
}

/** RFC 7636 §4.1: 32 random bytes make a 43-character verifier (256 bits of entropy). */
function randomToken(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** RFC 7636 §4.2: BASE64URL(SHA256(ASCII(code_verifier))). */
async function s256(verifier: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}

export interface CallbackOptions extends TransportOptions {
  /** The `state` of createAuthorizationRequest. */
  state: string;
  /** The issuer the request was sent to: a callback whose `iss` differs is refused (RFC 9207 §2.4). */
  issuer: string;
  /**
   * Whether a callback without `iss` is refused. Default: what the server's metadata says
   * (`authorization_response_iss_parameter_supported`, true for Gatehouse), which is then
   * discovered.
   */
  requireIss?: boolean;
}

/**
 * Validates the redirect back from the authorization endpoint and returns the code. In
 * the order RFC 9207 §2.4 asks: `iss` first (a response from another server is not even
 * read), then `state` (RFC 6749 §10.12), then an error response (RFC 6749 §4.1.2.1,
 * thrown as a CallbackError with `error` and `errorDescription`).
 *
 * `callback` is the URL the browser came back to, absolute or as the server saw it
 * (`/callback?code=…&state=…`), or its query parameters.
 */
export async function validateCallback(callback: string | URL | URLSearchParams, options: CallbackOptions): Promise<string> {
  if (typeof options.state !== 'string' || options.state === '') throw new TypeError('validateCallback: the state of the request is required');
  if (typeof options.issuer !== 'string' || options.issuer === '') throw new TypeError('validateCallback: issuer is required');
  const params = callback instanceof URLSearchParams ? callback : callbackParams(callback);
  const single = (name: string) => {
    const values = params.getAll(name);
    return values.length === 1 ? values[0] : undefined;
  };

  const iss = params.getAll('iss');
  if (iss.length > 0) {
    if (iss.length > 1 || iss[0] !== options.issuer) throw new CallbackError('iss_mismatch', 'the authorization response comes from another issuer than the one the request was sent to (RFC 9207)');
  } else {
    const required = options.requireIss ?? (await discoverWith(runtimeOf(options), options.issuer, options.fetch)).authorization_response_iss_parameter_supported === true;
    if (required) throw new CallbackError('iss_missing', 'the authorization response has no iss parameter, which this issuer always sends (RFC 9207)');
  }
  if (single('state') !== options.state) throw new CallbackError('state_mismatch', 'the state of the authorization response does not match the request');
  const error = params.get('error');
  if (error !== null) {
    const code = sanitizeErrorCode(error) ?? 'invalid_request';
    const description = sanitizeServerText(params.get('error_description'));
    throw new CallbackError('error_response', `the authorization server answered ${code}${description ? `: ${description}` : ''}`, {
      error: code,
      ...(description !== undefined ? { errorDescription: description } : {}),
    });
  }
  const code = single('code');
  if (code === undefined || code === '') throw new CallbackError('missing_code', 'the authorization response has no code');
  return code;
}

/** Only the query is read: the base just lets a relative callback (a path and query) parse. */
function callbackParams(callback: string | URL): URLSearchParams {
  try {
    return new URL(callback, 'http://localhost').searchParams;
  } catch {
    // Not the input in the message: it may hold the code.
    throw new CallbackError('malformed_callback', 'the callback is not a URL');
  }
}

export type ExchangeCodeOptions = ServerOptions &
  ClientAuthentication &
  TransportOptions & {
    code: string;
    codeVerifier: string;
    /** The redirect URI of the authorization request (RFC 6749 §4.1.3). */
    redirectUri: string;
    /** Gatehouse: the tenant (one of those the user granted) the access token is for. */
    tenant?: string;
    /** RFC 8707 resource indicator(s). */
    resource?: string | readonly string[];
    /** The lifetime assumed when the server sends no `expires_in`, in seconds. Default 300. */
    defaultExpiresIn?: number;
  };

/**
 * The code → tokens (RFC 6749 §4.1.3). The result's `refreshToken` is the first of the
 * session: persist it, then hand the result to `refreshSession({ tokens, … })`.
 *
 * Retried like every token request: a code is single use, so a retry after a lost
 * response is refused with `invalid_grant` (and Gatehouse revokes what it had issued);
 * the user then signs in again, as they would have without the retry.
 */
export async function exchangeCode(options: ExchangeCodeOptions): Promise<TokenSet> {
  checkServerOptions(options, 'exchangeCode');
  checkClientAuthentication(options, 'exchangeCode');
  for (const name of ['code', 'codeVerifier', 'redirectUri'] as const) {
    if (typeof options[name] !== 'string' || options[name] === '') throw new TypeError(`exchangeCode: ${name} is required`);
  }
  const runtime = runtimeOf(options);
  return requestToken(runtime, {
    tokenEndpoint: await tokenEndpointOf(runtime, options, options.fetch),
    credentials: options,
    params: {
      grant_type: 'authorization_code',
      code: options.code,
      redirect_uri: options.redirectUri,
      code_verifier: options.codeVerifier,
      tenant: options.tenant,
      resource: options.resource,
    },
    defaultExpiresIn: checkSeconds(options.defaultExpiresIn, 'defaultExpiresIn', 300),
    secrets: [options.code, options.codeVerifier],
  });
}
