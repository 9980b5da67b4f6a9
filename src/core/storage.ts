/**
 * Storage role interfaces (the ports the protocol engine depends on). Implementations
 * live in src/store/ and all pass one contract suite (test/store/contract.test.ts).
 *
 * Every implementation reports a backend failure (connection lost, disk full, lock
 * timeout) as StorageUnavailableError, a broken uniqueness rule as ConflictError, and
 * writes nothing when it throws.
 */
import type { Client, GrantType, ScopeDefinition, SigningKey, StoredFile, Tenant } from './types.js';

export interface NewTenant {
  slug: string;
  name: string;
  accessTokenTtl: number | null;
}

export interface TenantStore {
  /** Fails with ConflictError when the slug is taken. */
  createTenant(input: NewTenant): Promise<Tenant>;
  findTenantBySlug(slug: string): Promise<Tenant | undefined>;
  listTenants(): Promise<Tenant[]>;
}

export interface NewClient {
  id: string;
  tenantId: string;
  name: string;
  isPublic: boolean;
  secretDigest: string | null;
  grantTypes: GrantType[];
  scopes: string[];
  defaultScopes: string[];
  redirectUris: string[];
  accessTokenTtl: number | null;
  resourceServer: boolean;
}

export interface SecretChange {
  /** The digest the caller read: the change applies only if it is still current. */
  expectedSecretDigest: string;
  secretDigest: string;
  previousSecretDigest: string | null;
  previousSecretExpiresAt: number | null;
  /** Raise the revocation epoch by one: every access token issued so far stops being active. */
  revokeTokens: boolean;
}

export interface ClientStore {
  /**
   * Creates the client and registers its scope names in the tenant's scope catalogue
   * (leaving existing descriptions alone), in one transaction. ConflictError when the
   * id is taken.
   */
  createClient(input: NewClient): Promise<Client>;
  /** Looks a client up by `client_id`, whatever its tenant (ids are globally unique). */
  findClient(clientId: string): Promise<Client | undefined>;
  /** The clients of one tenant only. */
  listClients(tenantId: string): Promise<Client[]>;
  /**
   * (Rotations with `revokeTokens` and disabling bump the revocation revision; see
   * RevocationStore.readChanges.)
   *
   * Replaces the secret digests, atomically and only if the current digest is still
   * `expectedSecretDigest` (compare-and-set: two rotations racing cannot resurrect a
   * secret). Undefined when the client does not exist; ConflictError when the secret
   * changed since it was read.
   */
  updateClientSecret(clientId: string, change: SecretChange): Promise<Client | undefined>;
  /**
   * Enables or disables a client. Disabling also raises the revocation epoch by one, so
   * every token issued so far stops being active; enabling leaves the epoch alone.
   */
  setClientDisabled(clientId: string, disabled: boolean): Promise<Client | undefined>;
  /** The longest access token lifetime configured on any client or tenant (seconds), or null. */
  longestAccessTokenTtl(): Promise<number | null>;
}

export interface ScopeStore {
  /** Every scope of one tenant, sorted by name. */
  listScopes(tenantId: string): Promise<ScopeDefinition[]>;
  /** The distinct scope names of all tenants, sorted (for RFC 8414 `scopes_supported`). */
  listScopeNames(): Promise<string[]>;
}

export interface KeyStore {
  /**
   * Keys still published: the active one plus keys retired after `retiredAfter` (epoch
   * ms) that were not withdrawn. Newest first.
   */
  listPublishedKeys(retiredAfter: number): Promise<SigningKey[]>;
  /**
   * Atomically makes `key` the only active key; every previously active key is retired
   * at `now`. Concurrent activations serialise: the later one retires the earlier.
   * ConflictError when the kid exists.
   */
  activateKey(key: SigningKey, now: number): Promise<void>;
  /**
   * Withdraws a retired key at once (it leaves the JWKS; tokens it signed stop
   * verifying). The active key cannot be withdrawn: rotate first.
   */
  withdrawKey(kid: string, now: number): Promise<'withdrawn' | 'active' | 'not_found'>;
}

/** Small named values the server keeps in its database (e.g. the master key check). */
export interface SettingsStore {
  getSetting(name: string): Promise<string | undefined>;
  /** Stores `value` unless the setting exists; returns the value now stored. */
  putSettingIfAbsent(name: string, value: string): Promise<string>;
}

export interface RevokedAccessToken {
  jti: string;
  clientId: string;
  /** The token's own `exp` (epoch seconds): the entry is useless after it. */
  expiresAt: number;
}

/**
 * What changed in the revocation state after a revision (docs/resource-server.md). The
 * JSON of GET /oauth/revocations.
 */
export interface RevocationChanges {
  /** The revision this answer is complete up to: pass it as `since` next time. */
  revision: number;
  /** Tokens of these clients with a lower `client_epoch` are revoked. */
  clients: { client_id: string; epoch: number }[];
  /** Revoked tokens, listed until their `exp` (plus clock skew) has passed. */
  tokens: { jti: string; client_id: string; exp: number }[];
  /** Withdrawn signing keys: every token they signed is revoked. */
  withdrawn_keys: string[];
}

export interface RevocationStore {
  /**
   * Idempotent: revoking a revoked token again is not an error. Bumps the revocation
   * revision in the same transaction.
   */
  revokeAccessToken(entry: RevokedAccessToken): Promise<void>;
  isAccessTokenRevoked(jti: string): Promise<boolean>;
  /** Deletes deny-list entries whose token has expired anyway; returns how many. */
  pruneRevokedAccessTokens(nowSeconds: number): Promise<number>;
  /**
   * The revocations after revision `since` (0: the whole current state). Every write
   * that revokes (a rotation without grace, a disable, a token revocation, a key
   * withdrawal) bumps the revision under a lock in its own transaction, so revisions
   * become visible in order: nothing at or below the returned revision can appear later.
   * Token entries whose exp is before `notExpiredBefore` (epoch seconds) are left out.
   */
  readChanges(since: number, notExpiredBefore: number): Promise<RevocationChanges>;
}

/**
 * Short-lived counters for throttling failed authentication. Fixed windows: the first
 * hit of a key opens a window of `windowMs`; hits after it closes start a new one.
 */
export interface ThrottleStore {
  /** Counts one failure for `key`; returns the count and when the window closes. */
  hit(key: string, windowMs: number, now: number): Promise<ThrottleState>;
  /** The current count for `key` without counting (0 when no window is open). */
  peek(key: string, now: number): Promise<ThrottleState>;
}

export interface ThrottleState {
  count: number;
  resetAt: number;
}

export interface NewFile {
  /** Generated by the caller (a UUID), so the bytes can be stored under it before the row is written. */
  id: string;
  name: string;
  size: number;
  contentType: string;
}

/**
 * The files of the demo document API. Tenant scoping lives here: every method takes the
 * tenant id and only ever sees that tenant's files, so a file created in tenant A is
 * invisible from tenant B (not found, exactly as if it did not exist).
 */
export interface FileStore {
  /**
   * Records a file of `tenantId`, created now. ConflictError when the id is taken (in
   * any tenant); NotFoundError when the tenant does not exist.
   */
  createFile(tenantId: string, input: NewFile): Promise<StoredFile>;
  /** The tenant's file with this id; undefined when there is none, or it is another tenant's. */
  findFile(tenantId: string, id: string): Promise<StoredFile | undefined>;
  /** Every file of the tenant, oldest first (ties by id). */
  listFiles(tenantId: string): Promise<StoredFile[]>;
  /** Deletes the tenant's file; false when there was none (another tenant's file stays). */
  deleteFile(tenantId: string, id: string): Promise<boolean>;
  /**
   * Publishes the tenant's file under `publicId` unless it is already published, in one
   * conditional update: a file keeps the public id it was first published under, and of
   * two concurrent publications the first wins. Returns the file with its public id (the
   * earlier one, if any); undefined when the tenant has no such file. ConflictError when
   * `publicId` is taken by another file.
   */
  publishFile(tenantId: string, id: string, publicId: string): Promise<StoredFile | undefined>;
  /**
   * Withdraws the public link (idempotent: an unpublished file stays unpublished). False
   * when the tenant has no such file. The old public id then finds nothing.
   */
  unpublishFile(tenantId: string, id: string): Promise<boolean>;
}

/**
 * The one tenant-free way to a file: the public download link. The public id (a random
 * UUID, 122 random bits) is the capability; whoever holds it may read the file, until the
 * file is unpublished or deleted. Kept apart from FileStore so that every FileStore method
 * stays tenant-scoped.
 */
export interface PublishedFileStore {
  /** The published file with this public id; undefined when none (never published, withdrawn, deleted). */
  findPublishedFile(publicId: string): Promise<StoredFile | undefined>;
}

export interface Storage {
  readonly tenants: TenantStore;
  readonly clients: ClientStore;
  readonly scopes: ScopeStore;
  readonly keys: KeyStore;
  readonly revocations: RevocationStore;
  readonly settings: SettingsStore;
  readonly files: FileStore;
  readonly publishedFiles: PublishedFileStore;
  /** Resolves when the backend answers a trivial query; StorageUnavailableError otherwise. */
  ping(): Promise<void>;
  /** Applies pending migrations; returns the names applied. */
  migrate(): Promise<string[]>;
  /** Which migrations have run and which are pending (nothing is changed). */
  migrationStatus(): Promise<{ applied: string[]; pending: string[] }>;
  close(): Promise<void>;
}
