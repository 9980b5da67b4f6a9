import type { KeyObject } from 'node:crypto';
import { importJWK, type CryptoKey, type JWK } from 'jose';

/** The signature algorithms a resource server accepts: never `none`, never an HMAC. */
export const ACCEPTED_ALGORITHMS: readonly string[] = Object.freeze(['ES256', 'RS256', 'EdDSA', 'PS256']);

/** A public key and the one algorithm it verifies. */
export interface VerificationKey {
  key: KeyObject | CryptoKey;
  alg: string;
}

/** Where the verifier finds the key a token's `kid` names. */
export interface KeySource {
  /** The key with this `kid`, or undefined when there is none. Should not throw. */
  getKey(kid: string): Promise<VerificationKey | undefined>;
  /**
   * Optional: the key with this `kid` when the source already has it in memory, without
   * waiting; undefined otherwise (then getKey is asked). Lets the verifier answer a
   * token it has verified before without a promise.
   */
  cachedKey?(kid: string): VerificationKey | undefined;
}

export interface RemoteKeySourceOptions {
  /** The issuer identifier, exactly as it appears in the metadata and in the tokens' `iss`. */
  issuer: string;
  fetch?: typeof fetch;
  /** Minimum time between two fetches triggered by an unknown `kid`, in ms. Default 1 000: a rotated key is picked up within a second, and a flood of made-up kids costs the issuer at most one JWKS request a second. */
  refetchInterval?: number;
  /** Bound on each HTTP request, in ms. Default 5 000. */
  timeout?: number;
  /** Age after which the JWKS is re-read in the background, in ms. Default 300 000. */
  maxAge?: number;
  /** Milliseconds since the epoch; defaults to Date.now. */
  clock?: () => number;
  /** Told about every failed fetch (the source itself keeps serving cached keys). */
  onError?: (error: unknown) => void;
}

export interface RemoteKeySource extends KeySource {
  /** Fetches the metadata (when needed) and the JWKS now; rejects when that fails. */
  refresh(): Promise<void>;
}

/**
 * Keys from the JWKS named by the issuer's RFC 8414 metadata, cached in memory.
 *
 * - A `kid` not in the cache triggers one refetch, at most one every `refetchInterval`
 *   (failed attempts count), and concurrent misses share the request in flight: a flood
 *   of tokens with made-up `kid`s cannot turn into a flood of JWKS requests.
 * - A successful fetch replaces the cache (a key the issuer stopped publishing stops
 *   verifying); a failed one keeps it, so the cached keys keep working while the
 *   authorization server is down.
 * - HTTP caching headers are not honoured: rotation is noticed through unknown `kid`s,
 *   and compromised keys are withdrawn through the revocation feed.
 */
export function remoteKeySource(options: RemoteKeySourceOptions): RemoteKeySource {
  const issuer = options.issuer;
  const doFetch = options.fetch ?? globalThis.fetch;
  const refetchInterval = options.refetchInterval ?? 1_000;
  const timeout = options.timeout ?? 5_000;
  const clock = options.clock ?? Date.now;

  let keys = new Map<string, VerificationKey>();
  let jwksUri: string | undefined;
  let lastAttempt: number | undefined;
  let lastSuccess: number | undefined;
  let inFlight: Promise<void> | undefined;
  const maxAge = options.maxAge ?? 300_000;

  const getJson = async (url: string, what: string): Promise<unknown> => {
    // no-cache: a refetch must reach the issuer, not a proxy's copy from before a rotation.
    const response = await doFetch(url, { headers: { accept: 'application/json', 'cache-control': 'no-cache' }, signal: AbortSignal.timeout(timeout) });
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => {});
      throw new Error(`${what} at ${url} answered HTTP ${response.status}`);
    }
    try {
      return await response.json();
    } catch (cause) {
      throw new Error(`${what} at ${url} is not JSON`, { cause });
    }
  };

  const discover = async (): Promise<string> => {
    let lastError: unknown;
    for (const url of metadataUrls(issuer)) {
      try {
        const metadata = await getJson(url, 'the authorization server metadata');
        if (!isObject(metadata)) throw new Error(`the authorization server metadata at ${url} is not a JSON object`);
        // RFC 8414 §3.3: the issuer in the metadata MUST be identical to the one used to build the URL.
        if (metadata.issuer !== issuer) throw new Error(`the authorization server metadata at ${url} names another issuer`);
        if (typeof metadata.jwks_uri !== 'string') throw new Error(`the authorization server metadata at ${url} has no jwks_uri`);
        return checkJwksUri(metadata.jwks_uri, issuer);
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  };

  const load = async (): Promise<void> => {
    const uri = jwksUri ?? (await discover());
    let jwks: unknown;
    try {
      jwks = await getJson(uri, 'the JWKS');
    } catch (error) {
      jwksUri = undefined; // look the metadata up again next time: the JWKS may have moved
      throw error;
    }
    jwksUri = uri;
    if (!isObject(jwks) || !Array.isArray(jwks.keys)) throw new Error(`the JWKS at ${uri} has no "keys" array`);
    keys = await importJwks(jwks.keys);
    lastSuccess = clock();
  };

  const fetchNow = (): Promise<void> => {
    if (inFlight) return inFlight;
    lastAttempt = clock();
    inFlight = load().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  /**
   * Re-reads a JWKS older than maxAge in the background, so a key the issuer stopped
   * publishing (withdrawn) stops verifying even without an unknown kid to trigger it.
   */
  const knownKey = (kid: string): VerificationKey | undefined => {
    if (lastSuccess !== undefined && !inFlight && clock() - lastSuccess > maxAge && clock() - (lastAttempt ?? 0) >= refetchInterval) {
      fetchNow().catch((error: unknown) => options.onError?.(error));
    }
    return keys.get(kid);
  };

  return {
    cachedKey: knownKey,
    async getKey(kid) {
      const cached = knownKey(kid);
      if (cached) return cached;
      if (!inFlight && lastAttempt !== undefined && clock() - lastAttempt < refetchInterval) return undefined;
      try {
        await fetchNow();
      } catch (error) {
        options.onError?.(error);
      }
      return keys.get(kid);
    },
    refresh: fetchNow,
  };
}

/**
 * Imports the usable keys of a JWKS: public signature keys with a `kid` and an accepted
 * `alg` (ES256 and EdDSA keys without `alg` are unambiguous and accepted; an RSA key must
 * say whether it is RS256 or PS256). Anything else is skipped, as are duplicate `kid`s.
 */
export async function importJwks(jwks: readonly unknown[]): Promise<Map<string, VerificationKey>> {
  const keys = new Map<string, VerificationKey>();
  const seen = new Set<string>();
  for (const jwk of jwks) {
    if (!isObject(jwk) || typeof jwk.kid !== 'string' || jwk.kid === '') continue;
    const kid = jwk.kid;
    if (seen.has(kid)) {
      keys.delete(kid); // two keys under one kid: trust neither
      continue;
    }
    seen.add(kid);
    if (jwk.use !== undefined && jwk.use !== 'sig') continue;
    if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) continue;
    if ('d' in jwk || jwk.kty === 'oct') continue; // a private or symmetric key has no place in a JWKS
    const alg = algorithmOf(jwk);
    if (!alg) continue;
    try {
      const key = await importJWK({ ...(jwk as JWK), alg }, alg);
      if (key instanceof Uint8Array) continue;
      keys.set(kid, { key, alg });
    } catch {
      // not a valid key for its algorithm: skip it
    }
  }
  return keys;
}

function algorithmOf(jwk: Record<string, unknown>): string | undefined {
  if (typeof jwk.alg === 'string') return ACCEPTED_ALGORITHMS.includes(jwk.alg) ? jwk.alg : undefined;
  if (jwk.alg !== undefined) return undefined;
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  return undefined;
}

/**
 * RFC 8414 §3.1 puts the well-known segment between the host and the issuer's path
 * (`https://h/.well-known/oauth-authorization-server/auth`); Gatehouse also answers at
 * `<issuer>/.well-known/oauth-authorization-server`. Both are tried for an issuer with
 * a path; either way the metadata's `issuer` must be the configured one.
 */
function metadataUrls(issuer: string): string[] {
  const base = issuer.replace(/\/+$/, '');
  const appended = `${base}/.well-known/oauth-authorization-server`;
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return [appended];
  }
  const path = url.pathname.replace(/\/+$/, '');
  if (!path) return [appended];
  return [`${url.origin}/.well-known/oauth-authorization-server${path}`, appended];
}

function checkJwksUri(value: string, issuer: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error('the authorization server metadata has an invalid jwks_uri');
  }
  const issuerIsHttps = issuer.startsWith('https:');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && !issuerIsHttps)) {
    throw new Error('the jwks_uri of an https issuer must use https');
  }
  return url.href;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
