/**
 * The errors `@gatehouse-auth/client` throws about the server and the network. Every one is an
 * OAuthClientError; each carries what a program needs to decide (the OAuth `error` code,
 * the HTTP status, whether a retry may help) and none ever carries a client secret, an
 * access or refresh token, an authorization code or a PKCE verifier: not in `message`,
 * not in `stack`, not in `JSON.stringify(error)`, not in its `cause` chain (what
 * `util.inspect` and pino's error serializer print; the one cause the SDK does not make is
 * that of RefreshTokenPersistenceError, the application's own error). Descriptions that
 * come from the server are sanitized, capped and scrubbed of the request's secrets before
 * they are used.
 *
 * Not OAuthClientErrors: a configuration mistake (a missing option, a relative URL) throws
 * a TypeError, and a call whose `signal` aborts rejects with the signal's reason.
 */

export class OAuthClientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OAuthClientError';
  }

  /** For structured logs: the name, the message and the public fields (never a secret). */
  toJSON(): Record<string, unknown> {
    const json: Record<string, unknown> = { name: this.name, message: this.message };
    for (const [key, value] of Object.entries(this)) if (value !== undefined && key !== 'name') json[key] = value;
    return json;
  }
}

/**
 * The token endpoint answered with an error (RFC 6749 §5.2), or with a status that is not
 * success (a 502 page from a proxy: then `error` is undefined).
 */
export class TokenEndpointError extends OAuthClientError {
  /** The RFC 6749 §5.2 `error` code (`invalid_client`, `invalid_grant`, …), when the body had one. */
  readonly error: string | undefined;
  /** The server's `error_description`: sanitized, at most 300 characters, secrets scrubbed. */
  readonly errorDescription: string | undefined;
  readonly status: number;
  /** Whether the same request may succeed later (5xx, 429). 4xx protocol errors are final. */
  readonly retryable: boolean;
  /** The server's `Retry-After`, in seconds, when it sent one. */
  readonly retryAfter: number | undefined;

  constructor(fields: { status: number; error?: string; errorDescription?: string; retryAfter?: number; reason?: string }) {
    const code = fields.error ? ` ${fields.error}` : '';
    const description = fields.errorDescription ? `: ${fields.errorDescription}` : '';
    const reason = fields.reason ? ` (${fields.reason})` : '';
    super(`the token endpoint answered HTTP ${fields.status}${code}${description}${reason}`);
    this.name = 'TokenEndpointError';
    this.status = fields.status;
    this.error = fields.error;
    this.errorDescription = fields.errorDescription;
    this.retryable = fields.status >= 500 || fields.status === 429;
    this.retryAfter = fields.retryAfter;
  }
}

/**
 * The request got no (complete) HTTP response: connection refused or reset, DNS failure,
 * timeout (also while reading the body), CORS refusal in a browser. Thrown once the
 * retries are spent. For a refresh, the server may or may not have rotated the refresh
 * token (see refreshSession).
 *
 * `cause` is not the underlying error but its gist, `{ name, code? }` (e.g. `{ name:
 * 'Error', code: 'ECONNREFUSED' }`): the message of a fetch failure may quote the request.
 */
export class NetworkError extends OAuthClientError {
  readonly url: string;
  /** How many requests were sent in all (the first one and its retries) before giving up. */
  readonly attempts: number;

  constructor(url: string, attempts: number, failure: unknown) {
    const gist = gistOf(failure);
    const detail = gist?.code ?? (gist?.name === 'TimeoutError' || gist?.name === 'AbortError' ? gist.name : undefined);
    super(`no response from ${url} after ${attempts} attempt${attempts === 1 ? '' : 's'}${detail ? ` (${detail})` : ''}`, { cause: gist });
    this.name = 'NetworkError';
    this.url = url;
    this.attempts = attempts;
  }
}

/** A 200 answer that is not a usable token response (not JSON, no access_token, not a Bearer token). */
export class InvalidResponseError extends OAuthClientError {
  readonly url: string;
  readonly status: number;

  constructor(url: string, status: number, problem: string) {
    super(`the answer of ${url} is not a valid OAuth response: ${problem}`);
    this.name = 'InvalidResponseError';
    this.url = url;
    this.status = status;
  }
}

/** The authorization server metadata could not be read, or is not the configured issuer's. */
export class DiscoveryError extends OAuthClientError {
  readonly issuer: string;

  constructor(issuer: string, problem: string, options?: { cause?: unknown }) {
    super(`discovery of ${issuer} failed: ${problem}`, options);
    this.name = 'DiscoveryError';
    this.issuer = issuer;
  }
}

export type CallbackErrorReason =
  /** `state` is missing or differs from the one the request was made with (CSRF, or another tab's callback). */
  | 'state_mismatch'
  /** RFC 9207 §2.4: `iss` names another authorization server (a mix-up attack). */
  | 'iss_mismatch'
  /** RFC 9207 §2.4: the server says it always sends `iss`, and the callback has none. */
  | 'iss_missing'
  /** The authorization server sent an error (RFC 6749 §4.1.2.1): `error` says which. */
  | 'error_response'
  /** Neither `code` nor `error` in the callback. */
  | 'missing_code'
  /** The callback cannot be read as a URL, absolute or relative (`/callback?code=…`). */
  | 'malformed_callback';

/** The redirect back from the authorization endpoint cannot be accepted. */
export class CallbackError extends OAuthClientError {
  readonly reason: CallbackErrorReason;
  /** For `error_response`: the RFC 6749 §4.1.2.1 code, e.g. `access_denied`. */
  readonly error: string | undefined;
  readonly errorDescription: string | undefined;

  constructor(reason: CallbackErrorReason, message: string, fields: { error?: string; errorDescription?: string } = {}) {
    super(message);
    this.name = 'CallbackError';
    this.reason = reason;
    this.error = fields.error;
    this.errorDescription = fields.errorDescription;
  }
}

/**
 * A refresh session can no longer mint tokens: the refresh token was refused with
 * `invalid_grant` (expired, revoked, already used), or the session was closed. Every later
 * call fails at once with this error, without a request; the user must sign in again.
 */
export class SessionEndedError extends OAuthClientError {
  /** `invalid_grant` from the server, or undefined when the application closed the session. */
  readonly error: string | undefined;
  readonly errorDescription: string | undefined;

  constructor(cause: TokenEndpointError | undefined) {
    super(cause ? `the refresh session has ended: ${cause.message}` : 'the refresh session was closed', cause ? { cause } : undefined);
    this.name = 'SessionEndedError';
    this.error = cause?.error;
    this.errorDescription = cause?.errorDescription;
  }
}

/**
 * `onRefreshToken` threw. The session holds the new refresh token in memory and goes on
 * with it; it offers it to `onRefreshToken` again before handing out the next token.
 * `cause` is the error the application's callback threw, as it is: the SDK adds nothing
 * to it, so whatever that error says (keep the refresh token out of it) is logged with it.
 */
export class RefreshTokenPersistenceError extends OAuthClientError {
  constructor(cause: unknown) {
    super('onRefreshToken failed: the new refresh token is held in memory only until it succeeds', { cause });
    this.name = 'RefreshTokenPersistenceError';
  }
}

const DESCRIPTION_MAX = 300;

/**
 * A server-supplied text made safe for a message: RFC 6749 §5.2's error_description
 * alphabet (printable ASCII; anything else becomes `?`), capped, and with every secret of
 * the request (which a careless server might echo) replaced.
 */
export function sanitizeServerText(text: unknown, secrets: readonly (string | undefined)[] = []): string | undefined {
  if (typeof text !== 'string' || text === '') return undefined;
  let scrubbed = text;
  for (const secret of secrets) if (secret) scrubbed = scrubbed.split(secret).join('[redacted]');
  const safe = scrubbed.replace(/[^\x20-\x7e]/g, '?');
  return safe.length > DESCRIPTION_MAX ? `${safe.slice(0, DESCRIPTION_MAX - 3)}...` : safe;
}

/** An RFC 6749 §5.2 error code is a short printable token; anything else is not repeated. */
export function sanitizeErrorCode(code: unknown): string | undefined {
  return typeof code === 'string' && /^[\x20-\x21\x23-\x5b\x5d-\x7e]{1,64}$/.test(code) ? code : undefined;
}

/**
 * The gist of a network failure: the name and code of the error in its cause chain that
 * has a code (`ECONNREFUSED`) or is a timeout or abort, else the name of the failure;
 * never a message, which may quote the request.
 */
function gistOf(failure: unknown): { name: string; code?: string } | undefined {
  const nameOf = (error: Error) => (/^[A-Za-z]{1,40}$/.test(error.name) ? error.name : 'Error');
  const seen = new Set<unknown>();
  for (let current = failure; current instanceof Error && !seen.has(current); current = current.cause) {
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z_]{2,40}$/.test(code)) return { name: nameOf(current), code };
    if (current.name === 'TimeoutError' || current.name === 'AbortError') return { name: current.name };
  }
  return failure instanceof Error ? { name: nameOf(failure) } : undefined;
}
