/**
 * The token endpoint (RFC 6749 §3.2), shared by every grant: client authentication
 * (§2.3.1), the form, the retried POST, and the answer turned into a TokenSet or a typed
 * error that never carries a secret.
 */
import { basicAuthorization, formEncode, isObject } from './encoding.js';
import { InvalidResponseError, NetworkError, TokenEndpointError, sanitizeErrorCode, sanitizeServerText } from './errors.js';
import { parseRetryAfter, sendWithRetry, type Runtime } from './transport.js';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';

/** Who the client is and how it authenticates at the token endpoint (RFC 6749 §2.3). */
export interface ClientAuthentication {
  clientId: string;
  /** Absent for a public client (then the method is `none`). */
  clientSecret?: string;
  /** Default `client_secret_basic` with a secret, `none` without. */
  authMethod?: ClientAuthMethod;
}

export function checkClientAuthentication(credentials: ClientAuthentication, where: string): ClientAuthMethod {
  if (typeof credentials.clientId !== 'string' || credentials.clientId === '') throw new TypeError(`${where}: clientId is required`);
  const method = credentials.authMethod ?? (credentials.clientSecret === undefined ? 'none' : 'client_secret_basic');
  if (method !== 'client_secret_basic' && method !== 'client_secret_post' && method !== 'none') throw new TypeError(`${where}: unknown authMethod`);
  if (method !== 'none' && (typeof credentials.clientSecret !== 'string' || credentials.clientSecret === '')) {
    throw new TypeError(`${where}: clientSecret is required for ${method}`);
  }
  return method;
}

/** A successful token response (RFC 6749 §5.1), with the expiry as a local time. */
export interface TokenSet {
  accessToken: string;
  tokenType: 'Bearer';
  /** Milliseconds since the epoch, by the local clock at the time the request was sent. */
  expiresAt: number;
  /** `expires_in` as the server sent it; undefined when it sent none. */
  expiresIn: number | undefined;
  /** The granted scope: the response's `scope`, else the requested one (RFC 6749 §5.1). */
  scope: string | undefined;
  refreshToken: string | undefined;
  /** The tenant the token was requested for (Gatehouse's `tenant` parameter). */
  tenant: string | undefined;
}

export interface TokenRequest {
  tokenEndpoint: string;
  credentials: ClientAuthentication;
  /** grant_type and the grant's parameters; undefined values are left out. */
  params: Record<string, string | readonly string[] | undefined>;
  /** Lifetime assumed when the server sends no `expires_in`, in seconds. */
  defaultExpiresIn: number;
  /** Strings that must never reach an error message (codes, refresh tokens, verifiers). */
  secrets?: readonly string[];
}

/**
 * POST to the token endpoint (RFC 6749 §3.2) with client authentication (§2.3.1), retried
 * per the runtime's policy; returns the token set or throws a typed error.
 */
export async function requestToken(runtime: Runtime, request: TokenRequest): Promise<TokenSet> {
  const { tokenEndpoint, credentials } = request;
  const method = checkClientAuthentication(credentials, 'token request');
  // As sent, too: form-encoded in a body, Base64 in a Basic header (a careless server may echo either).
  const secrets = [...(request.secrets ?? []), credentials.clientSecret].filter((secret): secret is string => typeof secret === 'string' && secret !== '');
  secrets.push(...secrets.map(formEncode));
  if (method === 'client_secret_basic') secrets.push(basicAuthorization(credentials.clientId, credentials.clientSecret!).slice('Basic '.length));
  const body = () => {
    const form = new URLSearchParams();
    for (const [name, value] of Object.entries(request.params)) {
      if (value === undefined) continue;
      for (const one of typeof value === 'string' ? [value] : value) form.append(name, one);
    }
    if (method === 'client_secret_post') {
      form.set('client_id', credentials.clientId);
      form.set('client_secret', credentials.clientSecret!);
    } else if (method === 'none') {
      form.set('client_id', credentials.clientId);
    }
    return form;
  };
  const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' };
  if (method === 'client_secret_basic') headers.authorization = basicAuthorization(credentials.clientId, credentials.clientSecret!);

  const { response, sentAt, attempts } = await sendWithRetry(runtime, tokenEndpoint, () => ({ method: 'POST', headers, body: body() }), (failed, reason) =>
    tokenEndpointError(failed, runtime, secrets, reason),
  );
  if (response.status !== 200) {
    if (response.status >= 400) throw await tokenEndpointError(response, runtime, secrets);
    await response.body?.cancel().catch(() => {});
    throw new InvalidResponseError(tokenEndpoint, response.status, response.status === 0 || (response.status >= 300 && response.status < 400) ? 'a redirect (not followed)' : `HTTP ${response.status}`);
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    // The body was cut off (timeout, reset): the answer is lost, as if none had come (for a
    // refresh, the server may have rotated the refresh token: see refreshSession).
    throw new NetworkError(tokenEndpoint, attempts, error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new InvalidResponseError(tokenEndpoint, 200, 'the body is not JSON');
  }
  return tokenSetOf(json, tokenEndpoint, sentAt, request);
}

function tokenSetOf(json: unknown, url: string, startedAt: number, request: TokenRequest): TokenSet {
  if (!isObject(json)) throw new InvalidResponseError(url, 200, 'the body is not a JSON object');
  if (typeof json.access_token !== 'string' || json.access_token === '') throw new InvalidResponseError(url, 200, 'no access_token');
  // RFC 6749 §7.1 / RFC 6750: this client sends Bearer tokens only (a DPoP or MAC token would not work).
  if (typeof json.token_type !== 'string' || json.token_type.toLowerCase() !== 'bearer') throw new InvalidResponseError(url, 200, 'token_type is not Bearer');
  if (json.refresh_token !== undefined && (typeof json.refresh_token !== 'string' || json.refresh_token === '')) throw new InvalidResponseError(url, 200, 'refresh_token is not a string');
  const expiresIn = expiresInOf(json.expires_in);
  if (json.expires_in !== undefined && expiresIn === undefined) throw new InvalidResponseError(url, 200, 'expires_in is not a number');
  const requestedScope = request.params.scope;
  return {
    accessToken: json.access_token,
    tokenType: 'Bearer',
    // Counted from when the request was sent: the token cannot have lived less than that.
    expiresAt: startedAt + (expiresIn ?? request.defaultExpiresIn) * 1000,
    expiresIn,
    scope: typeof json.scope === 'string' ? json.scope : typeof requestedScope === 'string' ? requestedScope : undefined,
    refreshToken: json.refresh_token as string | undefined,
    tenant: typeof request.params.tenant === 'string' ? request.params.tenant : undefined,
  };
}

/** A number of seconds; numeric strings are accepted (some servers send "3600"). */
function expiresInOf(value: unknown): number | undefined {
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) ? Math.max(0, number) : undefined;
}

async function tokenEndpointError(response: Response, runtime: Runtime, secrets: readonly string[], reason?: string): Promise<TokenEndpointError> {
  let body: unknown;
  try {
    body = JSON.parse(await response.text());
  } catch {
    body = undefined;
  }
  const error = isObject(body) ? sanitizeErrorCode(body.error) : undefined;
  const errorDescription = isObject(body) && error ? sanitizeServerText(body.error_description, secrets) : undefined;
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), runtime.clock());
  return new TokenEndpointError({
    status: response.status,
    ...(error !== undefined ? { error } : {}),
    ...(errorDescription !== undefined ? { errorDescription } : {}),
    ...(retryAfterMs !== undefined ? { retryAfter: Math.ceil(retryAfterMs / 1000) } : {}),
    ...(reason !== undefined ? { reason } : {}),
  });
}
