import { decodeProtectedHeader, errors, jwtVerify, type ProtectedHeaderParameters } from 'jose';
import { BearerError } from './errors.js';
import { ACCEPTED_ALGORITHMS, remoteKeySource, type KeySource, type VerificationKey } from './keys.js';
import { RevocationFollower, remoteRevocationSource, type RevocationSource } from './revocation.js';

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

/** How a route relates to tenants (docs/resource-server.md). */
export type TenantRequirement = 'token' | 'header' | 'free';

/** What a route asks of the request's access token. */
export interface RouteRequirements {
  /** Every listed scope must be in the token's `scope`. Default: none. */
  scopes?: readonly string[];
  /**
   * `'token'` (default): the token must carry a tenant. `'header'`: the `X-Tenant`
   * request header is required and must equal the token's tenant. `'free'`: a
   * tenant-free route, reachable with tokens with or without a tenant.
   */
  tenant?: TenantRequirement;
  /** Also accept `?access_token=` (RFC 6750 §2.3), for downloads a browser follows. Default false. */
  queryToken?: boolean;
  /** No token needed at all: `verify` resolves to null without looking at the request. */
  public?: boolean;
}

/** Header values as a web `Headers`, a plain object, or Node's `IncomingHttpHeaders`. */
export type HeadersLike = Headers | Record<string, string | string[] | undefined>;

/** A web `Request`, or anything with headers and a URL (a path such as `/files/1?x=1` will do). */
export interface VerifiableRequest {
  headers: HeadersLike;
  url: string;
}

export interface VerifierOptions {
  /** The issuer identifier: the tokens' `iss`, and where metadata and JWKS are fetched from. */
  issuer: string;
  /** The `aud` the tokens must carry (one of them, for a list). */
  audience: string | readonly string[];
  /** The realm of the challenges. Default: the issuer. */
  realm?: string;
  /** Where the signing keys come from. Default: remoteKeySource({ issuer }). */
  keys?: KeySource;
  /** A revocation source; when given, a follower polls it. */
  revocations?: RevocationSource;
  /** Shortcut: follow `<issuer>/oauth/revocations` with this resource-server client's credentials. */
  revocationFeed?: { clientId: string; clientSecret: string; pollInterval?: number };
  /** Time between two polls of the revocation feed, in ms. Default 500. */
  pollInterval?: number;
  /** Leeway for `exp` and `nbf`, in seconds. Default 5. */
  clockTolerance?: number;
  fetch?: typeof fetch;
  /** Milliseconds since the epoch; defaults to Date.now. */
  clock?: () => number;
  /** Told about failed JWKS fetches and failed feed polls (verification goes on meanwhile). */
  onError?: (error: unknown) => void;
  /**
   * How old (ms) the revocation state may be before the verifier stops vouching for any
   * token: requests then get 503 `temporarily_unavailable` with Retry-After until the feed
   * answers again. A feed that never answered (wrong credentials, unreachable issuer) counts
   * as stale at once, so a misconfiguration is loud. Default 30 000; `Infinity` keeps
   * accepting tokens on the last known state, however old. Only with a revocation source.
   */
  maxStaleness?: number;
  /**
   * How many verified tokens to remember (default 10 000; 0 turns the cache off). A
   * token seen before skips the signature check; expiry and revocation are still checked
   * on every request.
   */
  cacheSize?: number;
}

export interface Verifier {
  /**
   * Verifies the request's access token against the route's requirements. Resolves to
   * the token's claims (null for a public route) or rejects with a BearerError.
   */
  verify(request: VerifiableRequest, requirements: RouteRequirements & { public: true }): Promise<null>;
  verify(request: VerifiableRequest, requirements?: RouteRequirements & { public?: false }): Promise<AccessTokenClaims>;
  verify(request: VerifiableRequest, requirements?: RouteRequirements): Promise<AccessTokenClaims | null>;
  /**
   * The same verification without a promise, when nothing has to be waited for (a token
   * verified before, its key known to the key source, the revocation state read): the
   * claims (null for a public route), or throws a BearerError; undefined when it cannot
   * answer at once, and `verify` must be called. The framework adapters use it on every
   * request. Optional: a verifier of your own may leave it out.
   */
  verifyNow?(request: VerifiableRequest, requirements?: RouteRequirements): AccessTokenClaims | null | undefined;
  /** Resolves once the revocation feed has been read once (at once without a feed). */
  ready(): Promise<void>;
  /** Stops polling the revocation feed. */
  close(): Promise<void>;
}

const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** RFC 6750 §2.1 b64token. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const MAX_TOKEN_LENGTH = 16_384;
/** Header parameters that carry or locate a key: the key must come from the issuer's JWKS, never from the token. */
const KEY_BEARING_HEADERS = ['jwk', 'jku', 'x5u', 'x5c'] as const;
const REQUIRED_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id'];
/** An X-Tenant value that may be named in an error description as it is. */
const PRINTABLE_TENANT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Creates a verifier of Gatehouse access tokens (docs/resource-server.md). */
export function createVerifier(options: VerifierOptions): Verifier {
  if (typeof options.issuer !== 'string' || options.issuer === '') throw new TypeError('createVerifier: issuer is required');
  const audience = typeof options.audience === 'string' ? [options.audience] : [...(options.audience ?? [])];
  if (audience.length === 0 || audience.some((aud) => typeof aud !== 'string' || aud === '')) throw new TypeError('createVerifier: audience is required');
  if (options.revocations && options.revocationFeed) throw new TypeError('createVerifier: pass revocations or revocationFeed, not both');

  const issuer = options.issuer;
  const realm = options.realm ?? issuer;
  const clock = options.clock ?? Date.now;
  const clockTolerance = options.clockTolerance ?? 5;
  // Revoked jtis are kept 300 s past exp; a larger tolerance would let them back in.
  if (!(clockTolerance >= 0 && clockTolerance <= 300)) throw new TypeError('createVerifier: clockTolerance must be between 0 and 300 seconds');
  const maxStaleness = options.maxStaleness ?? 30_000;
  const onError = options.onError ?? defaultErrorReporter();
  const keys = options.keys ?? remoteKeySource({ issuer, fetch: options.fetch, clock, onError });
  const source =
    options.revocations ??
    (options.revocationFeed
      ? remoteRevocationSource({ issuer, clientId: options.revocationFeed.clientId, clientSecret: options.revocationFeed.clientSecret, fetch: options.fetch })
      : undefined);
  const follower = source
    ? new RevocationFollower({ source, pollInterval: options.revocationFeed?.pollInterval ?? options.pollInterval, clock, onError })
    : undefined;
  follower?.start();

  const fail = (code: 'invalid_request' | 'invalid_token' | 'insufficient_scope' | undefined, description: string, extra: { scope?: readonly string[]; cause?: unknown } = {}) =>
    new BearerError({ realm, code, description, ...extra });
  const invalidToken = (description: string, cause?: unknown) => fail('invalid_token', description, { cause });

  // Verified tokens, by their exact compact serialisation. The signature and the static
  // claims of a given token never change, so checking them once is enough; what changes
  // with time (expiry) or with the feed (revocation, key withdrawal) is checked on every
  // request below. Only tokens that passed verification are stored; oldest out first.
  const cacheSize = options.cacheSize ?? 10_000;
  const verified = new Map<string, CacheEntry>();

  /** The revocation state must be fresh enough to vouch for a token (see maxStaleness). */
  async function checkRevocationState(): Promise<void> {
    if (!follower) return;
    // Only until the first poll has succeeded: afterwards an await would cost every request a tick.
    if (follower.lastSuccessAt === undefined) await follower.firstAttempt();
    checkRevocationStateNow();
  }

  /** checkRevocationState once the first poll has been attempted. */
  function checkRevocationStateNow(): void {
    if (!follower || maxStaleness === Infinity) return; // Infinity: the operator chose availability over freshness
    const last = follower.lastSuccessAt;
    if (last === undefined || clock() - last > maxStaleness) {
      throw new BearerError({
        realm,
        code: 'temporarily_unavailable',
        description: 'the revocation state of this API is out of date, so no token can be accepted; retry later',
        retryAfter: 5,
      });
    }
  }

  type CacheEntry = { claims: AccessTokenClaims; kid: string };

  /**
   * What changes for a token verified before: expiry, its key (it may have been withdrawn
   * or no longer be published since), revocation. `key` is what the key source has now.
   */
  function checkCachedToken(token: string, hit: CacheEntry, key: VerificationKey | undefined): AccessTokenClaims {
    if (hit.claims.exp + clockTolerance <= clock() / 1000) {
      verified.delete(token);
      throw invalidToken('the access token has expired');
    }
    if (!key) {
      verified.delete(token);
      throw invalidToken('the access token is signed with an unknown key');
    }
    checkRevocationStateNow();
    if (follower?.isRevoked(hit.claims, hit.kid)) throw invalidToken('the access token has been revoked');
    // Callers get their own copy: mutating it must not change what the next request sees.
    return copyClaims(hit.claims);
  }

  async function verifyToken(token: string): Promise<AccessTokenClaims> {
    const hit = cacheSize > 0 ? verified.get(token) : undefined;
    if (hit) {
      const key = await keys.getKey(hit.kid).catch(() => undefined);
      if (follower && follower.lastSuccessAt === undefined) await follower.firstAttempt();
      return checkCachedToken(token, hit, key);
    }
    const claims = await verifyTokenFully(token);
    if (cacheSize > 0) {
      if (verified.size >= cacheSize) verified.delete(verified.keys().next().value!);
      verified.set(token, { claims, kid: decodeProtectedHeader(token).kid as string });
    }
    // Callers get their own copy: mutating it must not change what the next request sees.
    return copyClaims(claims);
  }

  async function verifyTokenFully(token: string): Promise<AccessTokenClaims> {
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
      key = await keys.getKey(header.kid);
    } catch (error) {
      options.onError?.(error);
    }
    if (!key) throw invalidToken('the access token is signed with an unknown key');
    if (key.alg !== header.alg) throw invalidToken('the access token algorithm does not match its key');

    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, key.key, {
        algorithms: [key.alg],
        issuer,
        audience,
        typ: 'at+jwt',
        clockTolerance,
        currentDate: new Date(clock()),
        requiredClaims: REQUIRED_CLAIMS,
      }));
    } catch (error) {
      throw invalidToken(describeJoseError(error), error);
    }
    if (!hasClaimTypes(payload)) throw invalidToken('the access token claims are malformed');

    await checkRevocationState();
    if (follower?.isRevoked(payload, header.kid)) throw invalidToken('the access token has been revoked');
    return payload;
  }

  async function verify(request: VerifiableRequest, requirements: RouteRequirements = {}): Promise<AccessTokenClaims | null> {
    validateRequirements(requirements);
    if (requirements.public) return null;
    const token = extractToken(request, requirements, fail);
    return checkRequirements(request, requirements, await verifyToken(token));
  }

  function verifyNow(request: VerifiableRequest, requirements: RouteRequirements = {}): AccessTokenClaims | null | undefined {
    validateRequirements(requirements);
    if (requirements.public) return null;
    const token = extractToken(request, requirements, fail);
    const hit = cacheSize > 0 ? verified.get(token) : undefined;
    // First sight of the token, a key source that cannot answer at once, no poll of the feed yet: verify() waits.
    if (!hit || !keys.cachedKey || (follower && follower.lastSuccessAt === undefined)) return undefined;
    let key: VerificationKey | undefined;
    try {
      key = keys.cachedKey(hit.kid);
    } catch {
      return undefined; // a key source of one's own that throws: verify() reports it as getKey's failure
    }
    if (!key) return undefined; // perhaps published since: getKey looks
    return checkRequirements(request, requirements, checkCachedToken(token, hit, key));
  }

  /** Scope and tenant: what the route asks of a verified token. */
  function checkRequirements(request: VerifiableRequest, requirements: RouteRequirements, claims: AccessTokenClaims): AccessTokenClaims {
    const needed = requirements.scopes ?? [];
    if (needed.length > 0) {
      const granted = new Set((claims.scope ?? '').split(' ').filter(Boolean));
      const missing = needed.filter((scope) => !granted.has(scope));
      if (missing.length > 0) {
        throw fail('insufficient_scope', `the access token lacks the scope${missing.length > 1 ? 's' : ''} ${missing.join(' ')}`, { scope: needed });
      }
    }

    const tenant = requirements.tenant ?? 'token';
    if (tenant === 'token' || tenant === 'header') {
      if (claims.tenant === undefined) throw fail('insufficient_scope', 'a tenant-free token can only reach tenant-free routes');
      // 'header' requires X-Tenant; 'token' takes the tenant from the token, but an
      // X-Tenant that is sent must still agree with it.
      const values = headerValues(request.headers, 'x-tenant');
      if (values.length > 1) throw fail('insufficient_scope', 'the X-Tenant header must name exactly one tenant');
      const named = values[0]?.trim() ?? '';
      if (named === '' && tenant === 'header') throw fail('insufficient_scope', 'the X-Tenant header is required');
      if (named !== '' && named !== claims.tenant) {
        // Only a plain slug is named back; anything else could be crafted to mislead whoever reads the error.
        throw fail('insufficient_scope', PRINTABLE_TENANT.test(named) ? `the access token is not valid for tenant ${named}` : 'the access token is not valid for the tenant named in X-Tenant');
      }
    }
    return claims;
  }

  return {
    verify: verify as Verifier['verify'],
    verifyNow,
    ready: () => follower?.ready ?? Promise.resolve(),
    async close() {
      follower?.stop();
    },
  };
}

type Fail = (code: 'invalid_request' | undefined, description: string) => BearerError;

/**
 * Finds the one access token of the request (RFC 6750 §2): the Authorization header, or
 * the `access_token` query parameter on routes that accept it. More than one way, more
 * than one token, or an empty one is a malformed request (§3.1 invalid_request).
 */
function extractToken(request: VerifiableRequest, requirements: RouteRequirements, fail: Fail): string {
  const authorization = headerValues(request.headers, 'authorization');
  if (authorization.length > 1) throw fail('invalid_request', 'the request carries more than one Authorization header');
  let headerToken: string | undefined;
  const value = authorization[0]?.trim() ?? '';
  if (value !== '') {
    // Two credentials in one header (`Bearer a, Bearer b`, `Basic x, Bearer y`).
    if (value.includes(',') && /(^|,)[ \t]*bearer([ \t,]|$)/i.test(value)) throw fail('invalid_request', 'the Authorization header carries more than one credential');
    const scheme = /^[^ \t]+/.exec(value)?.[0] ?? '';
    // The scheme name is case-insensitive (RFC 7235 §2.1). Another scheme is not a bearer token: as if absent.
    if (scheme.toLowerCase() === 'bearer') {
      headerToken = value.slice(scheme.length).trim();
      if (headerToken === '') throw fail('invalid_request', 'the Bearer credentials are empty');
    }
  }

  const queryTokens = queryParameter(request.url, 'access_token');
  if (queryTokens.length > 0) {
    if (!requirements.queryToken) {
      throw fail('invalid_request', 'this route does not accept an access token in the query string: send it in the Authorization header');
    }
    if (queryTokens.length > 1) throw fail('invalid_request', 'the request carries more than one access_token parameter');
    if (headerToken !== undefined) throw fail('invalid_request', 'the request carries an access token both in the Authorization header and in the query string');
    const token = queryTokens[0]!;
    if (token === '') throw fail('invalid_request', 'the access_token parameter is empty');
    return token;
  }
  if (headerToken === undefined) throw fail(undefined, 'an access token is required');
  return headerToken;
}

function queryParameter(url: string, name: string): string[] {
  const query = url.indexOf('?');
  if (query === -1) return [];
  try {
    return new URL(url, 'http://localhost').searchParams.getAll(name);
  } catch {
    return new URLSearchParams(url.slice(query + 1).split('#', 1)[0]).getAll(name);
  }
}

/**
 * How the framework adapters verify a request: a token verified before is answered at once
 * (`verifyNow`), anything else through `verify()`. Calls `answer` with the claims or `fail`
 * with the error (a BearerError, or anything unexpected) exactly once, synchronously on a
 * cache hit.
 */
export function verifyRequest(
  verifier: Verifier,
  request: VerifiableRequest,
  requirements: RouteRequirements,
  answer: (claims: AccessTokenClaims | null) => void,
  fail: (error: unknown) => void,
): void {
  let claims: AccessTokenClaims | null | undefined;
  let pending: Promise<AccessTokenClaims | null> | undefined;
  try {
    claims = verifier.verifyNow?.(request, requirements);
    if (claims === undefined) pending = verifier.verify(request, requirements);
  } catch (error) {
    fail(error);
    return;
  }
  if (pending === undefined) answer(claims ?? null);
  else pending.then(answer, fail);
}

/** Every value of a header: a repeated header in a plain object is an array; `Headers` joins repeats with commas. */
export function headerValues(headers: HeadersLike, name: string): string[] {
  if (typeof (headers as Headers).get === 'function' && typeof (headers as Headers).has === 'function') {
    const value = (headers as Headers).get(name);
    return value === null ? [] : [value];
  }
  const record = headers as Record<string, string | string[] | undefined>;
  let value = record[name];
  if (value === undefined) {
    for (const key of Object.keys(record)) {
      if (key.toLowerCase() === name) {
        value = record[key];
        break;
      }
    }
  }
  if (value === undefined) return [];
  return Array.isArray(value) ? value.map(String) : [String(value)];
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

/**
 * The headers of a Node request for `verify`. Node keeps only the first of repeated
 * Authorization headers in `headers`; `rawHeaders` lists them all, so that two
 * credentials are refused rather than one silently picked.
 */
export function nodeHeaders(headers: Record<string, string | string[] | undefined>, rawHeaders: readonly string[] | undefined): HeadersLike {
  if (!Array.isArray(rawHeaders)) return headers;
  const authorization: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() === 'authorization') authorization.push(rawHeaders[i + 1]!);
  }
  return authorization.length <= 1 ? headers : { ...headers, authorization };
}

const TENANT_REQUIREMENTS = new Set(['token', 'header', 'free']);

/**
 * Refuses requirements that would silently weaken the check (a misspelt tenant mode, a
 * scope string instead of a list). Throws TypeError: a programming error, not a request's.
 * The Fastify plugin runs it for every route at registration, so it fails at startup.
 */
export function validateRequirements(requirements: RouteRequirements): void {
  if (requirements === null || typeof requirements !== 'object') throw new TypeError('route requirements must be an object');
  const { scopes, tenant, queryToken } = requirements;
  if (scopes !== undefined && (!Array.isArray(scopes) || scopes.some((scope) => typeof scope !== 'string' || scope === ''))) {
    throw new TypeError('route requirements: scopes must be an array of scope names');
  }
  if (tenant !== undefined && !TENANT_REQUIREMENTS.has(tenant)) throw new TypeError(`route requirements: tenant must be 'token', 'header' or 'free', not ${JSON.stringify(tenant)}`);
  if (queryToken !== undefined && typeof queryToken !== 'boolean') throw new TypeError('route requirements: queryToken must be a boolean');
  if (requirements.public !== undefined && typeof requirements.public !== 'boolean') throw new TypeError('route requirements: public must be a boolean');
}

function copyClaims(claims: AccessTokenClaims): AccessTokenClaims {
  return Array.isArray(claims.aud) ? { ...claims, aud: [...claims.aud] } : { ...claims };
}

/** Without an onError option, problems go to stderr, at most once a minute. */
function defaultErrorReporter(): (error: unknown) => void {
  let last = -Infinity;
  return (error) => {
    if (Date.now() - last < 60_000) return;
    last = Date.now();
    console.warn(`gatehouse/resource: ${error instanceof Error ? error.message : String(error)}`);
  };
}
