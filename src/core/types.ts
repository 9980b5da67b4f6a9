import type { JWK } from 'jose';

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
  createdAt: number;
}

export interface Client {
  /** The public `client_id`. */
  id: string;
  tenantId: string;
  tenantSlug: string;
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
  /**
   * A resource server of the API provider (e.g. the document API backend): it may read the
   * revocation feed and introspect tokens of every tenant.
   */
  resourceServer: boolean;
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

/** A file of the demo document API (src/demo). Its bytes are stored outside the database. */
export interface StoredFile {
  id: string;
  tenantId: string;
  /** The file name given at upload (sanitized: no path, no control characters). */
  name: string;
  /** Bytes. */
  size: number;
  contentType: string;
  createdAt: number;
  /** The unguessable id of the public download link; null while the file is not published. */
  publicId: string | null;
}
