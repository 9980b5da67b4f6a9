/**
 * The one error a resource server reports: an RFC 6750 §3 Bearer challenge. It carries
 * the status, the error code, a public description and the exact `WWW-Authenticate`
 * value to send, so every adapter (Fastify, Express, a hand-written handler) answers the
 * same way.
 */

/**
 * RFC 6750 §3.1 error codes, plus `temporarily_unavailable` (503, RFC 6749 §4.1.2.1's
 * term) when the verifier cannot vouch for any token: its revocation state is stale.
 */
export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'temporarily_unavailable';

export type BearerErrorStatus = 400 | 401 | 403 | 503;

export interface BearerErrorOptions {
  /** The protection space (RFC 7235 §2.2) named in the challenge. */
  realm: string;
  /** Undefined when the request carried no credentials at all (RFC 6750 §3.1: no error information then). */
  code: BearerErrorCode | undefined;
  /** Public, short, never contains the token. Sanitized before use. */
  description: string;
  /** For `insufficient_scope`: the scopes the resource needs (RFC 6750 §3 `scope` attribute). */
  scope?: readonly string[];
  /** Internal detail for logs; never sent. */
  cause?: unknown;
  /** For 503: seconds after which to retry (sent as Retry-After). */
  retryAfter?: number;
}

const STATUS: Record<BearerErrorCode, BearerErrorStatus> = {
  invalid_request: 400,
  invalid_token: 401,
  insufficient_scope: 403,
  temporarily_unavailable: 503,
};

/** The JSON body sent with a Bearer error (RFC 6749 §5.2 shape, plus a `message` copy). */
export interface BearerErrorBody {
  error: BearerErrorCode | 'unauthorized';
  error_description: string;
  message: string;
}

export class BearerError extends Error {
  readonly status: BearerErrorStatus;
  readonly code: BearerErrorCode | undefined;
  /** Safe to send: only the characters RFC 6750 §3 allows in `error_description`. */
  readonly description: string;
  /** The scopes needed, for `insufficient_scope` on a scope check. */
  readonly scope: readonly string[] | undefined;
  readonly realm: string;
  /** The exact `WWW-Authenticate` header value (RFC 6750 §3). */
  readonly wwwAuthenticate: string;
  /** Seconds to wait before retrying (503 only). */
  readonly retryAfter: number | undefined;

  constructor(options: BearerErrorOptions) {
    const description = sanitizeDescription(options.description);
    super(description, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BearerError';
    this.code = options.code;
    this.status = options.code === undefined ? 401 : STATUS[options.code];
    this.description = description;
    this.scope = options.scope && options.scope.length > 0 ? [...options.scope] : undefined;
    this.realm = options.realm;
    this.retryAfter = options.retryAfter;
    this.wwwAuthenticate = challenge(this);
  }

  /**
   * The response body. For a request without credentials the challenge carries no error
   * code (RFC 6750 §3.1), and the body says `unauthorized`.
   */
  toJSON(): BearerErrorBody {
    return { error: this.code ?? 'unauthorized', error_description: this.description, message: this.description };
  }
}

/**
 * RFC 6750 §3: `Bearer realm="…", error="…", error_description="…", scope="…"`. The
 * realm is an RFC 7235 quoted-string (quoted-pairs for `"` and `\`); error_description
 * and scope may only hold %x20-21 / %x23-5B / %x5D-7E (no quote, no backslash, no
 * control or non-ASCII characters), so nothing from the request can break the header.
 */
function challenge(error: BearerError): string {
  const parts = [`realm=${quoteRealm(error.realm)}`];
  // A 503 is no statement about the token: the challenge carries no error attribute.
  if (error.code !== undefined && error.code !== 'temporarily_unavailable') {
    parts.push(`error="${error.code}"`);
    if (error.description) parts.push(`error_description="${error.description}"`);
    if (error.scope) {
      const scope = error.scope.map(sanitizeScopeToken).filter((token) => token.length > 0).join(' ');
      if (scope) parts.push(`scope="${scope}"`);
    }
  }
  return `Bearer ${parts.join(', ')}`;
}

function quoteRealm(realm: string): string {
  // qdtext and quoted-pair admit HTAB, SP, VCHAR and obs-text; keep to printable ASCII.
  const printable = realm.replace(/[^\x20-\x7e]/g, '?');
  return `"${printable.replace(/["\\]/g, (char) => `\\${char}`)}"`;
}

const DESCRIPTION_MAX = 200;

/** Maps a text onto RFC 6750's error_description alphabet and bounds its length. */
export function sanitizeDescription(text: string): string {
  const safe = text
    .replace(/"/g, "'")
    .replace(/\\/g, '/')
    .replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '?');
  return safe.length > DESCRIPTION_MAX ? `${safe.slice(0, DESCRIPTION_MAX - 3)}...` : safe;
}

/** RFC 6749 §3.3 scope-token: %x21 / %x23-5B / %x5D-7E. */
function sanitizeScopeToken(token: string): string {
  return token.replace(/[^\x21\x23-\x5b\x5d-\x7e]/g, '');
}
