/**
 * The one protocol error class. Every failure the OAuth endpoints report is an
 * OAuthError whose `code` is one of the registered error codes of RFC 6749 §5.2,
 * RFC 7009 §2.2.1, RFC 6750 §3.1 or RFC 8707 §2; the server's error serializer turns
 * anything else into `server_error` (or `temporarily_unavailable` for storage outages)
 * without leaking internals.
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'unsupported_token_type'
  | 'invalid_target'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'server_error'
  | 'temporarily_unavailable';

const DEFAULT_STATUS: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  access_denied: 403,
  unsupported_response_type: 400,
  unsupported_token_type: 400,
  invalid_target: 400,
  invalid_token: 401,
  insufficient_scope: 403,
  server_error: 500,
  temporarily_unavailable: 503,
};

export interface OAuthErrorOptions {
  /** HTTP status; defaults to the usual status of the code. */
  status?: number;
  /** Extra response headers (WWW-Authenticate, Retry-After). */
  headers?: Record<string, string>;
  /** Internal detail for logs; never sent to the client. */
  cause?: unknown;
}

export class OAuthError extends Error {
  readonly code: OAuthErrorCode;
  readonly status: number;
  /** Human-readable text sent as `error_description`. Must never contain a secret. */
  readonly description: string;
  readonly headers: Record<string, string>;

  constructor(code: OAuthErrorCode, description: string, options: OAuthErrorOptions = {}) {
    const safe = safeErrorDescription(description);
    super(safe, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OAuthError';
    this.code = code;
    this.description = safe;
    this.status = options.status ?? DEFAULT_STATUS[code];
    this.headers = options.headers ?? {};
  }

  /**
   * The RFC 6749 §5.2 body. `message` repeats the description for clients written
   * against league/oauth2-server-style APIs.
   */
  toJSON(): { error: OAuthErrorCode; error_description: string; message: string } {
    return { error: this.code, error_description: this.description, message: this.description };
  }
}

/** RFC 6749 §5.2: error-description = 1*( %x20-21 / %x23-5B / %x5D-7E ). */
export const ERROR_DESCRIPTION_CHARSET = /^[\x20-\x21\x23-\x5B\x5D-\x7E]*$/;

const DESCRIPTION_MAX = 300;

/**
 * The one guard on every `error_description` the server sends (JSON bodies, redirects,
 * challenges): RFC 6749 §5.2 admits no quote, no backslash, no control or non-ASCII
 * character. Messages name the parameter at fault rather than quote client input; this
 * maps anything that still slips through onto the allowed alphabet and bounds its length.
 */
export function safeErrorDescription(text: string): string {
  const safe = ERROR_DESCRIPTION_CHARSET.test(text)
    ? text
    : text.replace(/"/g, "'").replace(/\\/g, '/').replace(/[^\x20-\x21\x23-\x5B\x5D-\x7E]/g, '?');
  return safe.length > DESCRIPTION_MAX ? `${safe.slice(0, DESCRIPTION_MAX - 3)}...` : safe;
}

/** The storage backend failed or could not be reached; reported as 503 `temporarily_unavailable`. */
export class StorageUnavailableError extends Error {
  constructor(cause: unknown) {
    super('the storage backend is unavailable', { cause });
    this.name = 'StorageUnavailableError';
  }
}

/** A create or update would break a uniqueness rule (e.g. a duplicate tenant slug). */
export class ConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}

/** The named tenant, client or key does not exist. */
export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/**
 * The actor may not perform this action at all (a tenant admin or a tenant's admin client
 * on an operator-only action). Reaching another tenant's resource is a NotFoundError
 * instead: it must not reveal that the resource exists.
 */
export class ForbiddenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForbiddenError';
  }
}

/** Operator input (CLI, admin API, configuration) is invalid. */
export class ValidationError extends Error {
  /** The input field at fault when one is (its wire name, e.g. `redirect_uris`, `limit`): the admin API names it in its problem. */
  readonly field: string | undefined;

  constructor(message: string, options: { field?: string } = {}) {
    super(message);
    this.name = 'ValidationError';
    this.field = options.field;
  }
}
