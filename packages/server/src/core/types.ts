import type { JWK } from 'jose';
import type { LogoType } from './branding.js';

/** Grant types a client may be allowed to use (RFC 6749 §4, §6). */
export const GRANT_TYPES = ['client_credentials', 'authorization_code', 'refresh_token', 'implicit'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

export function isGrantType(value: string): value is GrantType {
  return (GRANT_TYPES as readonly string[]).includes(value);
}

export const SIGNING_ALGORITHMS = ['ES256', 'RS256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export function isSigningAlgorithm(value: string): value is SigningAlgorithm {
  return (SIGNING_ALGORITHMS as readonly string[]).includes(value);
}

/** Times are epoch milliseconds unless a name says otherwise. */
export interface Tenant {
  id: string;
  slug: string;
  name: string;
  /** Access token lifetime in seconds for this tenant's clients, unless a client overrides it. */
  accessTokenTtl: number | null;
  /** A disabled tenant's clients cannot authenticate (so get no tokens). */
  disabled: boolean;
  /** How the tenant's pages look (TenantService.setBranding). */
  branding: TenantBranding;
  createdAt: number;
}

/** A tenant's branding; null: not set (the deployment's applies). */
export interface TenantBranding {
  /** `#rrggbb`, lower case. */
  accent: string | null;
  termsUrl: string | null;
  privacyUrl: string | null;
  /** The logo's media type and a digest of its bytes (TenantStore.findTenantLogo has the bytes); null: no logo. */
  logo: { contentType: LogoType; digest: string } | null;
}

// --- Users (issue 4: user-delegated access) ---

/** A tenant a user belongs to, as far as the user is concerned. */
export interface UserTenant {
  id: string;
  slug: string;
}

/**
 * A person who logs in at the login page. One identity, globally unique by username
 * (compared case-insensitively), that may belong to several tenants.
 */
export interface User {
  id: string;
  /** As the operator typed it; lookups ignore case. */
  username: string;
  /** A disabled user cannot log in. */
  disabled: boolean;
  /** Every tenant the user belongs to, sorted by slug. */
  tenants: UserTenant[];
  /**
   * The user's revocation epoch: a counter for the tokens issued on the user's behalf,
   * raised when the user is disabled (as a client's is), so they stop being active.
   */
  revocationEpoch: number;
  createdAt: number;
  updatedAt: number;
}

/** A user with its stored password hash: only for checking a password (src/core/user-auth.ts). */
export interface UserWithPassword extends User {
  /** Self-describing scrypt hash (src/core/password.ts); never shown, never logged. */
  passwordHash: string;
}

// --- end of users ---

export interface Client {
  /** The public `client_id`. */
  id: string;
  /**
   * The tenant the client belongs to; null for an operator client (issue 14): a
   * deployment-wide client of the operators, whose `gatehouse:admin` tokens manage every
   * tenant. An operator client is confidential, uses client_credentials only and can get
   * admin-API tokens only (it has no tenant to act for on a document API).
   */
  tenantId: string | null;
  tenantSlug: string | null;
  name: string;
  /** Public clients (no secret) cannot use client_credentials (RFC 6749 §4.4). */
  isPublic: boolean;
  /** Keyed digest of the current secret; null for public clients. */
  secretDigest: string | null;
  /** Digest of the secret replaced by a rotation with a grace period, while the grace lasts. */
  previousSecretDigest: string | null;
  previousSecretExpiresAt: number | null;
  grantTypes: GrantType[];
  /** Scopes the client may request. */
  scopes: string[];
  /** Scopes granted when a request names none. */
  defaultScopes: string[];
  redirectUris: string[];
  /** Seconds; null means the tenant's lifetime, else the server default. */
  accessTokenTtl: number | null;
  /** The tenant's lifetime, joined in so the token endpoint needs one read. */
  tenantAccessTokenTtl: number | null;
  disabled: boolean;
  /** The client's tenant is disabled: the client cannot authenticate, as when it is disabled itself. */
  tenantDisabled: boolean;
  /**
   * A resource server of the API provider (e.g. the document API backend): it may read the
   * revocation feed and introspect tokens of every tenant.
   */
  resourceServer: boolean;
  /**
   * Refresh tokens (RFC 6749 §6, RFC 9700 §4.14.2), in seconds: a refresh token unused
   * for `refreshIdleTtl` expires; no refresh token of a grant is honoured once
   * `refreshAbsoluteTtl` has passed since the code exchange; a rotated refresh token
   * presented again within `refreshGraceSeconds` of its rotation (0: never) is taken for
   * a lost response rather than reuse.
   */
  refreshIdleTtl: number;
  refreshAbsoluteTtl: number;
  refreshGraceSeconds: number;
  /**
   * The client's revocation epoch: a counter stamped into every access token as
   * `client_epoch`. Secret rotation without grace and disabling raise it, which revokes
   * every token issued before. A counter, not a time, so the clocks of the CLI, the
   * database and the servers need not agree.
   */
  revocationEpoch: number;
  createdAt: number;
  updatedAt: number;
}

export interface SigningKey {
  kid: string;
  alg: SigningAlgorithm;
  publicJwk: JWK;
  /** The private JWK, sealed with the key-encryption key derived from the master key. */
  sealedPrivateJwk: string;
  createdAt: number;
  active: boolean;
  /**
   * When the key stopped signing; null while active. A retired key stays published
   * for `maxAccessTokenTtl` plus clock skew, so every token it signed can be verified.
   */
  retiredAt: number | null;
  /** When an operator withdrew the key (compromise): it leaves the JWKS at once. */
  withdrawnAt: number | null;
}

export interface ScopeDefinition {
  tenantId: string;
  name: string;
  description: string;
}

// --- Authorization codes, grants and refresh tokens (issue 4) ---

/** PKCE code challenge methods (RFC 7636 §4.2); RFC 9700 §2.1.1: S256, never `plain`. */
export type CodeChallengeMethod = 'S256';

/**
 * An authorization code (RFC 6749 §4.1.2) as stored: only the digest of the code is kept.
 * Single use, and short-lived (10 minutes at most).
 */
export interface AuthorizationCode {
  /** SHA-256 or HMAC digest of the code, computed by the caller. */
  codeDigest: string;
  clientId: string;
  userId: string;
  /**
   * The authorization request's redirect_uri: the token request must repeat it (RFC 6749
   * §4.1.3). Null when the authorization request left it out (one registered URI).
   */
  redirectUri: string | null;
  scope: string[];
  /** Slugs of the tenants the user granted on the consent page. */
  tenants: string[];
  /** RFC 7636 §4.2; null when the request carried no challenge. */
  codeChallenge: string | null;
  codeChallengeMethod: CodeChallengeMethod | null;
  /** When the user authenticated. */
  authTime: number;
  expiresAt: number;
  /** When the code was redeemed (or presented after its expiry); null while unused. */
  consumedAt: number | null;
}

/**
 * What a user authorized a client to do, by one code exchange: the family every refresh
 * token and access token of that authorization belongs to (access tokens carry its id as
 * `grant_id`). Revoking it revokes all of them (reuse detection, code replay, RFC 7009).
 */
export interface AuthorizationGrant {
  id: string;
  clientId: string;
  userId: string;
  /** Digest of the code it was issued for: a replay of the code revokes the grant. */
  codeDigest: string;
  scope: string[];
  /** Slugs of the granted tenants. */
  tenants: string[];
  createdAt: number;
  /** No refresh token of the grant is honoured from then on, however recently rotated. */
  absoluteExpiresAt: number;
  revokedAt: number | null;
  /** The last code exchange or refresh (epoch ms); null for a grant older than this record. */
  lastUsedAt: number | null;
}

/** A refresh token (RFC 6749 §6) as stored: only its digest is kept. */
export interface RefreshToken {
  id: string;
  /** SHA-256 or HMAC digest of the token, computed by the caller. */
  tokenDigest: string;
  grantId: string;
  clientId: string;
  createdAt: number;
  /** The token is refused from then on unless it was rotated before. */
  idleExpiresAt: number;
  /** When it was exchanged for its successor; null while it is current. */
  rotatedAt: number | null;
  /** The id of the successor. */
  replacedBy: string | null;
}

// --- end of codes, grants and refresh tokens ---

// --- Consents (issue 4: the consent page) ---

/**
 * What a user agreed to let a client do, remembered so that the consent page is not shown
 * again for the same scopes. A request for a scope outside `scopes` asks again.
 */
export interface Consent {
  userId: string;
  clientId: string;
  /** Every scope the user has agreed to for this client, sorted. */
  scopes: string[];
  /** Slugs of the tenants the user last granted, sorted. */
  tenants: string[];
  createdAt: number;
  updatedAt: number;
}

// --- end of consents ---
