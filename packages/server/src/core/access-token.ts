import { sign } from 'node:crypto';
import { promisify } from 'node:util';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import type { Config } from './config.js';
import type { ActiveSigningKey, KeyRing } from './keys.js';
import { randomToken } from './secrets.js';
import type { ClientStore, GrantStore, RevocationStore } from './storage.js';
import type { Client } from './types.js';

/** The claims of a Gatehouse access token (RFC 9068 §2.2). */
export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string;
  client_id: string;
  /** Space-delimited; absent when no scope was granted. */
  scope?: string;
  /** The tenant slug the token may act for; absent for tenant-free tokens. */
  tenant?: string;
  /**
   * The grant (authorization code exchange) the token was issued under; absent for
   * client_credentials tokens. Revoking the grant revokes the token.
   */
  grant_id?: string;
  jti: string;
  iat: number;
  exp: number;
  /** The client's revocation epoch when the token was minted (see Client.revocationEpoch). */
  client_epoch: number;
}

export interface MintDeps {
  keys: Pick<KeyRing, 'signingKey'>;
  config: Pick<Config, 'issuer' | 'audience'>;
}

export interface MintInput {
  client: Pick<Client, 'id' | 'revocationEpoch'>;
  subject: string;
  scope: readonly string[];
  tenant: string | undefined;
  ttl: number;
  /** The grant the token belongs to (authorization code and refresh token grants). */
  grantId?: string;
  /** The `aud`: config.audience (the document API) unless given (the admin API's, for gatehouse:admin tokens). */
  audience?: string;
}

export interface MintedAccessToken {
  token: string;
  claims: AccessTokenClaims;
}

/**
 * The access token lifetime of a client: its own, else its tenant's, else the server's;
 * never more than `maxAccessTokenTtl`, which is how long retired signing keys stay
 * published.
 */
export function accessTokenTtlOf(
  client: Pick<Client, 'accessTokenTtl' | 'tenantAccessTokenTtl'>,
  config: Pick<Config, 'accessTokenTtl' | 'maxAccessTokenTtl'>,
): number {
  return Math.min(client.accessTokenTtl ?? client.tenantAccessTokenTtl ?? config.accessTokenTtl, config.maxAccessTokenTtl);
}

/** Mints an RFC 9068 JWT access token (`typ: at+jwt`, `kid` in the header). */
export async function mintAccessToken(input: MintInput, deps: MintDeps, now: number): Promise<MintedAccessToken> {
  const key = await deps.keys.signingKey();
  const iat = Math.floor(now / 1000);
  const claims: AccessTokenClaims = {
    iss: deps.config.issuer,
    sub: input.subject,
    aud: input.audience ?? deps.config.audience,
    client_id: input.client.id,
    ...(input.scope.length > 0 ? { scope: input.scope.join(' ') } : {}),
    ...(input.tenant !== undefined ? { tenant: input.tenant } : {}),
    ...(input.grantId !== undefined ? { grant_id: input.grantId } : {}),
    jti: randomToken(16),
    iat,
    exp: iat + input.ttl,
    client_epoch: input.client.revocationEpoch,
  };
  return { token: await signJwt(key, claims), claims };
}

const signInThreadPool = promisify(sign);

/** The encoded protected header of each signing key (RFC 9068 §2.1), computed once per key. */
const headerSegments = new WeakMap<ActiveSigningKey, string>();

function headerSegment(key: ActiveSigningKey): string {
  let segment = headerSegments.get(key);
  if (segment === undefined) {
    segment = Buffer.from(JSON.stringify({ alg: key.alg, typ: 'at+jwt', kid: key.kid })).toString('base64url');
    headerSegments.set(key, segment);
  }
  return segment;
}

/**
 * RFC 7515 compact serialization, signed with node:crypto directly: the header segment
 * is precomputed per key, and the claims (built here from plain values) need no
 * validation. ES256 (RFC 7518 §3.4: the raw r‖s signature, hence `ieee-p1363`) takes
 * ~30 µs and is signed inline; an RS256 signature (RSASSA-PKCS1-v1_5, ~0.3 ms) runs in
 * the libuv thread pool so it does not stall the event loop.
 */
async function signJwt(key: ActiveSigningKey, claims: AccessTokenClaims): Promise<string> {
  const input = `${headerSegment(key)}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const signature =
    key.alg === 'ES256'
      ? sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
      : await signInThreadPool('sha256', Buffer.from(input), key.privateKey);
  return `${input}.${signature.toString('base64url')}`;
}

export interface VerifyDeps {
  keys: Pick<KeyRing, 'verificationKey'>;
  config: Pick<Config, 'issuer'>;
}

const KEY_BEARING_HEADERS = ['jwk', 'jku', 'x5u', 'x5c'] as const;
/** Clock skew between the processes of one deployment that an `iat` may show. */
const IAT_LEEWAY_SECONDS = 5;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Checks that `token` is an unexpired access token this server signed. Returns its
 * claims, or undefined for anything else (malformed, unknown key, bad signature,
 * wrong issuer or type, expired). Revocation is checked separately (isTokenActive).
 */
export async function verifyAccessToken(token: string, deps: VerifyDeps, now: number): Promise<AccessTokenClaims | undefined> {
  if (token.length > 8192 || !JWT_SHAPE.test(token)) return undefined;
  try {
    const header = decodeProtectedHeader(token);
    if (typeof header.kid !== 'string') return undefined;
    // Gatehouse writes only alg, typ and kid (headerSegment). A key or key location in the
    // header is never trusted (RFC 8725 §3.10), and RFC 7515 §4.1.11 makes an unknown `crit`
    // fatal; refuse both as @gatehouse-auth/resource does, so introspection and the
    // resource servers agree on what is a token.
    if (KEY_BEARING_HEADERS.some((name) => name in header) || 'crit' in header) return undefined;
    const key = await deps.keys.verificationKey(header.kid);
    if (!key) return undefined;
    const { payload } = await jwtVerify(token, key.publicKey, {
      algorithms: [key.alg],
      issuer: deps.config.issuer,
      typ: 'at+jwt',
      currentDate: new Date(now),
      requiredClaims: ['sub', 'client_id', 'jti', 'iat', 'exp'],
    });
    if (typeof payload.client_id !== 'string' || typeof payload.jti !== 'string' || !Number.isInteger(payload.client_epoch)) return undefined;
    if (payload.grant_id !== undefined && (typeof payload.grant_id !== 'string' || payload.grant_id === '')) return undefined;
    // jose checks exp and nbf only: an iat beyond the leeway in the future was not written by this server (RFC 7519 §4.1.6).
    if (typeof payload.iat !== 'number' || payload.iat > now / 1000 + IAT_LEEWAY_SECONDS) return undefined;
    return payload as unknown as AccessTokenClaims;
  } catch {
    return undefined;
  }
}

export interface ActiveCheckDeps {
  clients: Pick<ClientStore, 'findClient'>;
  revocations: Pick<RevocationStore, 'isAccessTokenRevoked'>;
  grants: Pick<GrantStore, 'findGrant'>;
}

/**
 * Whether a verified access token is still active: its client exists and is enabled,
 * it carries the client's current revocation epoch, its `jti` is not on the deny-list,
 * and, when it was issued under a grant (`grant_id`), that grant exists, is the same
 * client's and is not revoked (code replay, refresh token reuse, RFC 7009 revocation of
 * the refresh token). Returns the client for callers that need it.
 */
export async function findActiveTokenClient(claims: AccessTokenClaims, deps: ActiveCheckDeps): Promise<Client | undefined> {
  const [client, revoked, grant] = await Promise.all([
    deps.clients.findClient(claims.client_id),
    deps.revocations.isAccessTokenRevoked(claims.jti),
    claims.grant_id === undefined ? undefined : deps.grants.findGrant(claims.grant_id),
  ]);
  if (!client || client.disabled || revoked || claims.client_epoch < client.revocationEpoch) return undefined;
  if (claims.grant_id !== undefined && (!grant || grant.revokedAt !== null || grant.clientId !== client.id)) return undefined;
  return client;
}
