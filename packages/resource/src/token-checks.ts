/**
 * Token checks for a token never seen before: its form, its JWS header, its signature
 * with a key from the issuer's JWKS, and its claims (RFC 9068 §4). What changes with time
 * or with the revocation feed is the verified-token cache's business (token-cache.ts).
 */
import { decodeProtectedHeader, errors, jwtVerify, type ProtectedHeaderParameters } from 'jose';
import type { BearerError } from './errors.js';
import { ACCEPTED_ALGORITHMS, type KeySource, type VerificationKey } from './keys.js';

/** The claims of a verified Gatehouse access token (RFC 9068 §2.2). */
export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  client_id: string;
  /** Space-delimited; absent when no scope was granted. */
  scope?: string;
  /** The tenant the token may act for; absent for tenant-free tokens. */
  tenant?: string;
  jti: string;
  iat: number;
  exp: number;
  /** The client's revocation epoch when the token was minted (see the revocation feed). */
  client_epoch: number;
  /** The grant (authorization code flow) the token was issued under; revoking the grant revokes the token. */
  grant_id?: string;
  [claim: string]: unknown;
}

export interface TokenCheckOptions {
  issuer: string;
  /** One of them must be in `aud`. */
  audience: readonly string[];
  keys: KeySource;
  /** Leeway for `exp`, `nbf` and `iat`, in seconds. */
  clockTolerance: number;
  clock: () => number;
  /** Told when the key source throws (it should not: see KeySource.getKey). */
  onKeyError?: ((error: unknown) => void) | undefined;
  /** Builds the 401 `invalid_token` challenge. */
  invalidToken: (description: string, cause?: unknown) => BearerError;
}

/** A token whose signature and static claims hold, with the key that signed it. */
export interface CheckedToken {
  claims: AccessTokenClaims;
  kid: string;
}

const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** RFC 6750 §2.1 b64token. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const MAX_TOKEN_LENGTH = 16_384;
/** Header parameters that carry or locate a key: the key must come from the issuer's JWKS, never from the token. */
const KEY_BEARING_HEADERS = ['jwk', 'jku', 'x5u', 'x5c'] as const;
const REQUIRED_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id'];

/**
 * Checks the JWS and the claims of an access token (RFC 9068 §4): its form, `alg`
 * (never `none` or HMAC), `typ`, `kid`, no key in the header, no `crit`, the signature
 * with the issuer's key for `kid`, `iss`, `aud`, `exp`/`nbf`, the claims' types. Throws
 * `invalid_token`. Revocation is not checked here.
 */
export async function checkToken(token: string, options: TokenCheckOptions): Promise<CheckedToken> {
  const { invalidToken } = options;
  if (token.length > MAX_TOKEN_LENGTH || !B64TOKEN.test(token) || !JWS_COMPACT.test(token)) throw invalidToken('the access token is malformed');

  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(token);
  } catch (cause) {
    throw invalidToken('the access token is malformed', cause);
  }
  if (typeof header.alg !== 'string' || !ACCEPTED_ALGORITHMS.includes(header.alg)) throw invalidToken('the access token is signed with an algorithm this API does not accept');
  if (!isAccessTokenType(header.typ)) throw invalidToken('the token is not an access token (typ must be at+jwt)');
  if (typeof header.kid !== 'string' || header.kid === '') throw invalidToken('the access token does not name its signing key (kid)');
  if (KEY_BEARING_HEADERS.some((name) => name in header)) throw invalidToken('the access token header carries a key or a key location, which is never trusted');
  // RFC 7515 §4.1.11: a recipient must reject a JWS whose `crit` lists an extension it does not understand; this one understands none.
  if ('crit' in header) throw invalidToken('the access token header lists critical extensions this API does not understand');

  let key: VerificationKey | undefined;
  try {
    key = await options.keys.getKey(header.kid);
  } catch (error) {
    options.onKeyError?.(error);
  }
  if (!key) throw invalidToken('the access token is signed with an unknown key');
  if (key.alg !== header.alg) throw invalidToken('the access token algorithm does not match its key');

  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, key.key, {
      algorithms: [key.alg],
      issuer: options.issuer,
      audience: [...options.audience],
      typ: 'at+jwt',
      clockTolerance: options.clockTolerance,
      currentDate: new Date(options.clock()),
      requiredClaims: REQUIRED_CLAIMS,
    }));
  } catch (error) {
    throw invalidToken(describeJoseError(error), error);
  }
  if (!hasClaimTypes(payload)) throw invalidToken('the access token claims are malformed');
  // jose checks exp and nbf only. A token issued "later" than now beyond the leeway was not
  // issued by a server with a sane clock (RFC 9068 §4: iat is required; RFC 7519 §4.1.6).
  if (payload.iat > options.clock() / 1000 + options.clockTolerance) throw invalidToken('the access token was issued in the future (iat)');
  return { claims: payload, kid: header.kid };
}

/** RFC 9068 §4: `typ` must be `at+jwt` (or the full media type `application/at+jwt`), case-insensitively. */
function isAccessTokenType(typ: unknown): boolean {
  if (typeof typ !== 'string') return false;
  const normalized = typ.toLowerCase();
  return normalized === 'at+jwt' || normalized === 'application/at+jwt';
}

function hasClaimTypes(payload: Record<string, unknown>): payload is AccessTokenClaims {
  const nonEmpty = (value: unknown) => typeof value === 'string' && value !== '';
  return (
    nonEmpty(payload.iss) &&
    typeof payload.sub === 'string' &&
    nonEmpty(payload.client_id) &&
    nonEmpty(payload.jti) &&
    typeof payload.iat === 'number' &&
    typeof payload.exp === 'number' &&
    typeof payload.client_epoch === 'number' &&
    Number.isSafeInteger(payload.client_epoch) &&
    payload.client_epoch >= 0 &&
    (payload.scope === undefined || typeof payload.scope === 'string') &&
    (payload.tenant === undefined || nonEmpty(payload.tenant)) &&
    (payload.grant_id === undefined || nonEmpty(payload.grant_id))
  );
}

/** A short, fixed description for each way jose refuses a token: nothing from the token is echoed. */
function describeJoseError(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the access token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'iss':
        return 'the access token was issued by another issuer';
      case 'aud':
        return 'the access token is not meant for this API';
      case 'nbf':
        return 'the access token is not valid yet';
      case 'typ':
        return 'the token is not an access token (typ must be at+jwt)';
      default:
        return REQUIRED_CLAIMS.includes(error.claim) ? `the access token lacks a valid ${error.claim} claim` : 'the access token claims are invalid';
    }
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the access token signature is invalid';
  if (error instanceof errors.JOSENotSupported) return 'the access token uses a feature this API does not support';
  if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid) return 'the access token is malformed';
  return 'the access token is invalid';
}

/** Callers get their own copy: mutating it must not change what the next request sees. */
export function copyClaims(claims: AccessTokenClaims): AccessTokenClaims {
  return Array.isArray(claims.aud) ? { ...claims, aud: [...claims.aud] } : { ...claims };
}
