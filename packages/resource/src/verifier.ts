/**
 * The verifier: puts together request parsing (request.ts), the token checks
 * (token-checks.ts), the verified-token cache (token-cache.ts), the revocation check
 * (revocation-check.ts) and the route requirements (requirements.ts).
 */
import { BearerError } from './errors.js';
import { remoteKeySource, type KeySource, type VerificationKey } from './keys.js';
import { extractToken, type VerifiableRequest } from './request.js';
import { checkRequirements, validateRequirements, type RouteRequirements } from './requirements.js';
import { remoteRevocationSource } from './remote-revocation-source.js';
import { createRevocationCheck } from './revocation-check.js';
import type { RevocationSource } from './revocation-feed.js';
import { RevocationFollower } from './revocation-follower.js';
import { checkToken, copyClaims, type AccessTokenClaims, type TokenCheckOptions } from './token-checks.js';
import { VerifiedTokenCache } from './token-cache.js';

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
  /** Leeway for `exp` and `nbf`, and for an `iat` in the future, in seconds. Default 5. */
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

  const revocation = createRevocationCheck({ follower, maxStaleness: options.maxStaleness ?? 30_000, clock, realm, invalidToken });
  const cache = new VerifiedTokenCache({ size: options.cacheSize ?? 10_000, clock, clockTolerance, revocation, invalidToken });
  // The key source's own failures are its onError's; only the user's hears them again here.
  const tokenChecks: TokenCheckOptions = { issuer, audience, keys, clockTolerance, clock, onKeyError: options.onError, invalidToken };

  async function verifyToken(token: string): Promise<AccessTokenClaims> {
    const kid = cache.kidOf(token);
    if (kid !== undefined) {
      // A token seen before: the same lookup as verifyNow's, once the key and the revocation state can be read.
      const key: VerificationKey | undefined = await keys.getKey(kid).catch(() => undefined);
      if (!revocation.readable) await revocation.whenReadable();
      const claims = cache.lookup(token, key);
      if (claims) return claims;
      // dropped from the cache meanwhile: verified in full
    }
    const checked = await checkToken(token, tokenChecks);
    // No extra microtask once the revocation state has been read (the usual case).
    if (!revocation.readable) await revocation.whenReadable();
    revocation.check(checked.claims, checked.kid);
    cache.remember(token, checked);
    return copyClaims(checked.claims);
  }

  async function verify(request: VerifiableRequest, requirements: RouteRequirements = {}): Promise<AccessTokenClaims | null> {
    validateRequirements(requirements);
    if (requirements.public) return null;
    const token = extractToken(request, requirements.queryToken === true, fail);
    return checkRequirements(request, requirements, await verifyToken(token), fail);
  }

  function verifyNow(request: VerifiableRequest, requirements: RouteRequirements = {}): AccessTokenClaims | null | undefined {
    validateRequirements(requirements);
    if (requirements.public) return null;
    const token = extractToken(request, requirements.queryToken === true, fail);
    const kid = cache.kidOf(token);
    // First sight of the token, a key source that cannot answer at once, no poll of the feed yet: verify() waits.
    if (kid === undefined || !keys.cachedKey || !revocation.readable) return undefined;
    let key: VerificationKey | undefined;
    try {
      key = keys.cachedKey(kid);
    } catch {
      return undefined; // a key source of one's own that throws: verify() reports it as getKey's failure
    }
    if (!key) return undefined; // perhaps published since: getKey looks
    const claims = cache.lookup(token, key);
    return claims === undefined ? undefined : checkRequirements(request, requirements, claims, fail);
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

/** Without an onError option, problems go to stderr, at most once a minute. */
function defaultErrorReporter(): (error: unknown) => void {
  let last = -Infinity;
  return (error) => {
    if (Date.now() - last < 60_000) return;
    last = Date.now();
    console.warn(`@gatehouse-auth/resource: ${error instanceof Error ? error.message : String(error)}`);
  };
}
