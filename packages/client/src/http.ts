/**
 * The HTTP layer every grant shares: one request with a timeout, retried with
 * full-jitter exponential backoff on network errors, 5xx and 429 (honouring
 * `Retry-After`), never on another 4xx. Web APIs only (fetch, AbortSignal, btoa), so
 * it runs in browsers and edge runtimes as well as on Node.
 */
import { DiscoveryError, InvalidResponseError, NetworkError, TokenEndpointError, sanitizeErrorCode, sanitizeServerText, type OAuthClientError } from './errors.js';

export interface RetryOptions {
  /** Retries after the first request (so at most 1 + retries requests). Default 3. */
  retries?: number;
  /** The backoff before retry n (0-based) is random(0, min(maxDelayMs, baseDelayMs × 2ⁿ)). Default 200. */
  baseDelayMs?: number;
  /** Default 5 000. */
  maxDelayMs?: number;
  /**
   * The longest `Retry-After` honoured, in ms. A server asking for a longer wait gets no
   * retry: the call fails at once with a TokenEndpointError carrying `retryAfter`, so that
   * no caller hangs for minutes. Default 30 000.
   */
  maxRetryAfterMs?: number;
}

/** What every entry point of the SDK accepts about its HTTP requests. */
export interface TransportOptions {
  /** The fetch to use; default globalThis.fetch. Called as a plain function, so `window.fetch` works unbound. */
  fetch?: typeof fetch;
  /** `false`: one attempt, no retry. */
  retry?: RetryOptions | false;
  /** Bound on each HTTP request, reading its answer included, in ms. Default 10 000. */
  timeoutMs?: number;
  /** For tests: milliseconds since the epoch. Default Date.now. */
  clock?: () => number;
  /** For tests: how to wait between retries. Default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** For tests: a number in [0, 1) for the jitter of the backoff and of Retry-After. Default Math.random. */
  random?: () => number;
}

export interface Runtime {
  fetch: typeof fetch;
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxRetryAfterMs: number;
  timeoutMs: number;
  clock: () => number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}

export function runtimeOf(options: TransportOptions): Runtime {
  const retry = options.retry === false ? { retries: 0 } : (options.retry ?? {});
  const custom = options.fetch;
  const runtime: Runtime = {
    // Never called as a method: a browser's fetch throws "Illegal invocation" when `this` is
    // not the window. The global is read at each call: a fetch patched later is honoured.
    fetch: (input, init) => (custom ?? globalThis.fetch)(input, init),
    retries: retry.retries ?? 3,
    baseDelayMs: retry.baseDelayMs ?? 200,
    maxDelayMs: retry.maxDelayMs ?? 5_000,
    maxRetryAfterMs: retry.maxRetryAfterMs ?? 30_000,
    timeoutMs: options.timeoutMs ?? 10_000,
    clock: options.clock ?? Date.now,
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    random: options.random ?? Math.random,
  };
  for (const name of ['retries', 'baseDelayMs', 'maxDelayMs', 'maxRetryAfterMs', 'timeoutMs'] as const) {
    if (!Number.isFinite(runtime[name]) || runtime[name] < 0) throw new TypeError(`${name} must be a non-negative number`);
  }
  return runtime;
}

/**
 * credentials: 'omit': no cookies to the authorization server, and no browser login prompt
 * for a 401 with `WWW-Authenticate: Basic` (Fetch §4.5; Chromium shows one), which would
 * hang the call. Set only where Request knows the member: some edge runtimes (Cloudflare
 * Workers) threw "not implemented" for it, and they have neither cookies nor prompts.
 */
const OMIT_CREDENTIALS: RequestInit = typeof Request !== 'undefined' && 'credentials' in Request.prototype ? { credentials: 'omit' } : {};

/**
 * Sends the request built by `init` (a fresh body for every attempt) until it gets an
 * answer that is not 5xx or 429, or the retries are spent; returns it with the local time
 * the successful attempt was sent and the number of requests sent. A 5xx/429 that is still
 * there at the end is turned into an error by `failure`; so is one whose `Retry-After` is
 * over `maxRetryAfterMs`. Redirects are not followed: credentials must not travel elsewhere.
 * The timeout also bounds reading the body of the answer returned.
 */
export async function sendWithRetry(
  runtime: Runtime,
  url: string,
  init: () => RequestInit,
  failure: (response: Response, reason?: string) => Promise<OAuthClientError>,
): Promise<{ response: Response; sentAt: number; attempts: number }> {
  for (let attempt = 0; ; attempt++) {
    const last = attempt >= runtime.retries;
    const sentAt = runtime.clock();
    let response: Response;
    try {
      response = await runtime.fetch(url, { ...init(), ...OMIT_CREDENTIALS, redirect: 'manual', signal: AbortSignal.timeout(runtime.timeoutMs) });
    } catch (error) {
      if (last) throw new NetworkError(url, attempt + 1, error);
      await runtime.sleep(backoff(runtime, attempt));
      continue;
    }
    if (response.status < 500 && response.status !== 429) return { response, sentAt, attempts: attempt + 1 };
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), runtime.clock());
    if (last) throw await failure(response);
    if (retryAfterMs !== undefined && retryAfterMs > runtime.maxRetryAfterMs) {
      throw await failure(response, `Retry-After ${Math.ceil(retryAfterMs / 1000)} s is longer than the ${runtime.maxRetryAfterMs / 1000} s this client waits`);
    }
    await response.body?.cancel().catch(() => {});
    // Retry-After plus a little jitter: clients told the same date do not come back as a herd.
    const wait = retryAfterMs === undefined ? backoff(runtime, attempt) : retryAfterMs + Math.floor(runtime.random() * Math.max(runtime.baseDelayMs, retryAfterMs / 10));
    await runtime.sleep(wait);
  }
}

/** Full jitter (every client picks its own point in the window, so a herd spreads out). */
function backoff(runtime: Runtime, attempt: number): number {
  return Math.floor(runtime.random() * Math.min(runtime.maxDelayMs, runtime.baseDelayMs * 2 ** attempt));
}

/** RFC 9110 §5.6.7: IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`. */
const IMF_FIXDATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * RFC 9110 §10.2.3: `delta-seconds` (1*DIGIT) or an HTTP-date, in ms from `now`, never
 * negative. Only the IMF-fixdate form of HTTP-date is read (the obsolete forms are not sent
 * by servers of this century); anything else is ignored, and the backoff applies.
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  if (!IMF_FIXDATE.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

// --- the token endpoint ---------------------------------------------------------------

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

// --- encodings --------------------------------------------------------------------------

/**
 * RFC 6749 §2.3.1: client_id and secret are application/x-www-form-urlencoded (spaces
 * as `+`, everything but `*-._` and alphanumerics percent-encoded) before `id:secret` is
 * Base64-encoded, so a `:` or a non-ASCII character in either survives the trip.
 */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  return `Basic ${base64(new TextEncoder().encode(`${formEncode(clientId)}:${formEncode(clientSecret)}`))}`;
}

/** application/x-www-form-urlencoded, as URLSearchParams serializes a value. */
export function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

export function base64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** RFC 4648 §5, without padding (RFC 7636 Appendix A). */
export function base64url(bytes: Uint8Array): string {
  return base64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A metadata or redirect URL the SDK will send credentials to: absolute, and https unless the issuer is http. */
export function checkEndpoint(value: unknown, name: string, issuer: string): string {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new DiscoveryError(issuer, `${name} is not an absolute URL`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && issuer.startsWith('http:'))) {
    throw new DiscoveryError(issuer, `${name} of an https issuer must use https`);
  }
  return url.href;
}
