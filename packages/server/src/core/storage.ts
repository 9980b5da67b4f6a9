/**
 * Storage role interfaces (the ports the protocol engine depends on). Implementations
 * live in src/store/ and all pass one contract suite (test/store/contract.test.ts).
 *
 * Every implementation reports a backend failure (connection lost, disk full, lock
 * timeout) as StorageUnavailableError, a broken uniqueness rule as ConflictError, and
 * writes nothing when it throws.
 */
import type { Client, GrantType, ScopeDefinition, SigningKey, StoredFile, Tenant } from './types.js';
import type { User, UserWithPassword } from './types.js';
import type { AuthorizationCode, AuthorizationGrant, CodeChallengeMethod, RefreshToken } from './types.js';
import type { Consent } from './types.js';

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

// --- Users (issue 4: user-delegated access) ---

export interface NewUser {
  /** Valid per src/core/username.ts; stored as given, looked up case-insensitively. */
  username: string;
  /** From hashPassword (src/core/password.ts). */
  passwordHash: string;
  /** The tenants the user belongs to from the start (at least one, in practice). */
  tenantIds: string[];
}

/**
 * The people who log in (not the clients). Usernames are globally unique and compared
 * case-insensitively: the store keeps a normalised copy (normalizeUsername) under a
 * unique index, so "Alice" and "alice" are one user whatever happens concurrently.
 */
export interface UserStore {
  /**
   * Creates an enabled user (revocation epoch 0) belonging to `tenantIds`, in one
   * transaction. ConflictError when the username is taken, in any letter case (of two
   * concurrent creations of one name exactly one succeeds); NotFoundError when a tenant
   * does not exist. Writes nothing when it throws.
   */
  createUser(input: NewUser): Promise<User>;
  /** The user with this id, or undefined. */
  findUser(userId: string): Promise<User | undefined>;
  /**
   * The user whose username equals `username` ignoring case, with its password hash
   * (for checking a password only), or undefined.
   */
  findUserByUsername(username: string): Promise<UserWithPassword | undefined>;
  /**
   * Makes the user a member of the tenant. Idempotent: true when the membership was
   * added, false when it existed already (nothing changes). NotFoundError when the user
   * or the tenant does not exist.
   */
  addUserToTenant(userId: string, tenantId: string): Promise<boolean>;
  /**
   * The users who belong to `tenantId` (and only those), sorted by normalised username.
   * Each user's `tenants` lists all of its memberships (an operator's view).
   */
  listUsers(tenantId: string): Promise<User[]>;
  /** Replaces the password hash; undefined when the user does not exist. */
  setPassword(userId: string, passwordHash: string): Promise<User | undefined>;
  /**
   * Enables or disables a user. Disabling also raises the user's revocation epoch by
   * one (as for clients); enabling leaves it alone. Undefined when the user does not exist.
   */
  setDisabled(userId: string, disabled: boolean): Promise<User | undefined>;
}

// --- end of users ---

/** A client's refresh token settings when none are given (seconds): 30 days idle, 1 year absolute, no grace. */
export const DEFAULT_REFRESH_SETTINGS = Object.freeze({ refreshIdleTtl: 30 * 86_400, refreshAbsoluteTtl: 365 * 86_400, refreshGraceSeconds: 0 });

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
  /** Seconds (Client.refreshIdleTtl etc.); absent: DEFAULT_REFRESH_SETTINGS. */
  refreshIdleTtl?: number;
  refreshAbsoluteTtl?: number;
  refreshGraceSeconds?: number;
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
  /**
   * Looks a client up by `client_id`, whatever its tenant (ids are globally unique). The
   * answer reflects every change committed before the call began, by any process: an
   * implementation that caches records must not answer from a cache it has not checked
   * since (a rotated secret is refused by the very next request).
   */
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
  /**
   * Creates the scope in the tenant's catalogue, or replaces the description of the
   * existing one (its name and creation time stay). NotFoundError when the tenant does
   * not exist.
   */
  upsertScope(tenantId: string, name: string, description: string): Promise<ScopeDefinition>;
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
  /**
   * Revoked grants (GrantStore): every access token whose `grant_id` claim is one of them
   * is revoked. Listed whatever their age (not cut by `notExpiredBefore`).
   */
  grants: string[];
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
   * withdrawal, a grant revocation) bumps the revision under a lock in its own transaction, so revisions
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

// --- Authorization codes, grants and refresh tokens (issue 4) ---

export interface NewCode {
  /** The digest of the code (SHA-256 or HMAC, computed by the caller): never the code itself. */
  codeDigest: string;
  clientId: string;
  /** Plain text: no reference to the users table is enforced. */
  userId: string;
  redirectUri: string;
  scope: string[];
  /** Slugs of the tenants the user granted. */
  tenants: string[];
  codeChallenge: string | null;
  codeChallengeMethod: CodeChallengeMethod | null;
  authTime: number;
  expiresAt: number;
}

/** What presenting an authorization code came to (CodeStore.consumeCode). */
export type CodeConsumption =
  /** This caller, and only this caller, redeemed the code: exchange it. */
  | { status: 'consumed'; code: AuthorizationCode }
  /**
   * The code was redeemed before (RFC 6749 §4.1.2): refuse, and revoke what was issued
   * from it (GrantStore.revokeGrantByCode).
   */
  | { status: 'replayed'; code: AuthorizationCode }
  /** The code had expired when it was first presented: refuse (nothing was issued from it). */
  | { status: 'expired' }
  /** No such code (never issued, or pruned): refuse. */
  | { status: 'unknown' };

/**
 * Authorization codes (RFC 6749 §4.1.2), stored only as digests: a database leak reveals
 * no usable code.
 */
export interface CodeStore {
  /** Stores a new, unused code. ConflictError when the digest exists; NotFoundError when the client does not. */
  createCode(input: NewCode): Promise<AuthorizationCode>;
  /**
   * Redeems the code, atomically (one conditional write): of any number of concurrent
   * callers, across processes, exactly one gets 'consumed'; every later (or losing)
   * caller gets 'replayed'. A code presented at or after its `expiresAt` answers
   * 'expired' and is marked consumed too; it keeps answering 'expired' (no token was
   * issued from it, so there is nothing to revoke).
   */
  consumeCode(codeDigest: string, now: number): Promise<CodeConsumption>;
  /**
   * Deletes the codes consumed, or expired, more than 10 minutes before `now` (until
   * then a replay is still recognised); returns how many.
   */
  pruneExpired(now: number): Promise<number>;
}

export interface NewGrant {
  /** Generated by the caller (a UUID). */
  id: string;
  clientId: string;
  userId: string;
  /** The digest of the code exchanged: one grant per code. */
  codeDigest: string;
  scope: string[];
  tenants: string[];
  createdAt: number;
  absoluteExpiresAt: number;
  /**
   * The grant's first refresh token (client allowed the refresh_token grant), written in
   * the same transaction as the grant, so neither exists without the other. Not written
   * when the grant is born revoked.
   */
  refreshToken?: { id: string; tokenDigest: string; idleExpiresAt: number };
}

/**
 * Grants: one per successful code exchange, the family every refresh token and access
 * token of that authorization belongs to. Revoking a grant revokes the whole family: its
 * refresh tokens stop rotating at once, and its access tokens (which carry `grant_id`)
 * through the revocation feed.
 */
export interface GrantStore {
  /**
   * Stores the grant. ConflictError when the id is taken or the code already has a grant;
   * NotFoundError when the client does not exist. If a replay of the code was recorded
   * before (revokeGrantByCode raced the exchange), the grant is stored already revoked,
   * with a revision of its own, and returned with `revokedAt` set: issue nothing from it.
   */
  createGrant(input: NewGrant): Promise<AuthorizationGrant>;
  findGrant(id: string): Promise<AuthorizationGrant | undefined>;
  /**
   * Revokes the grant (idempotent: the first revocation's time stays, and revoking again
   * writes nothing). The revocation bumps the revocation revision in the same
   * transaction and is listed once by RevocationStore.readChanges (`grants`). Returns
   * the grant as it now is; undefined when there is no such grant.
   */
  revokeGrant(id: string, now: number): Promise<AuthorizationGrant | undefined>;
  /**
   * Code replay (RFC 6749 §4.1.2): revokes the grant issued from the code, as
   * revokeGrant does, and records the replay on the code, so that a grant created from
   * it afterwards (an exchange racing the replay) is born revoked. Returns the grant;
   * undefined when none was issued from the code (yet).
   */
  revokeGrantByCode(codeDigest: string, now: number): Promise<AuthorizationGrant | undefined>;
  /**
   * Revokes every live grant of a user (the user was disabled), in one transaction with
   * one revocation revision, so the feed and introspection drop their tokens. Returns how
   * many were revoked.
   */
  revokeGrantsOfUser(userId: string, now: number): Promise<number>;
}

export interface NewRefreshToken {
  /** Generated by the caller (a UUID). */
  id: string;
  /** The digest of the token (SHA-256 or HMAC, computed by the caller): never the token itself. */
  tokenDigest: string;
  grantId: string;
  clientId: string;
  createdAt: number;
  idleExpiresAt: number;
}

export interface RefreshTokenRotation {
  /** The digest of the refresh token the client presented. */
  presentedDigest: string;
  /** The authenticated client: a token issued to another client answers 'unknown' (RFC 6749 §6). */
  clientId: string;
  /** The successor, issued to the same client under the same grant, created at `now`. */
  newToken: { id: string; tokenDigest: string; idleExpiresAt: number };
  now: number;
  /** How long after a rotation the rotated token still answers 'grace' (RFC 9700 §4.14.2); 0: never. */
  graceSeconds: number;
}

/** What presenting a refresh token came to (RefreshTokenStore.rotateRefreshToken). */
export type RotationOutcome =
  /** The presented token was current: it is rotated and `refreshToken` (the successor) stored. */
  | { status: 'rotated'; grant: AuthorizationGrant; refreshToken: RefreshToken }
  /**
   * The token was rotated less than `graceSeconds` ago and its successor, `replacement`,
   * is still unused: probably a client that lost the response. Nothing was written; the
   * caller decides what to answer.
   */
  | { status: 'grace'; grant: AuthorizationGrant; replacement: RefreshToken }
  /**
   * The token was rotated before (outside the grace window, or its successor was used
   * since): reuse of a refresh token. Nothing was written; the caller revokes the grant
   * (RFC 9700 §4.14.2).
   */
  | { status: 'reused'; grant: AuthorizationGrant }
  /** The token is idle-expired, or its grant absolutely expired. */
  | { status: 'expired' }
  /** Its grant was revoked. */
  | { status: 'revoked' }
  /** No such token (never issued, pruned), or it was issued to another client. */
  | { status: 'unknown' };

/** Rotating refresh tokens (RFC 6749 §6, RFC 9700 §4.14.2), stored only as digests. */
export interface RefreshTokenStore {
  /** Stores a current token. ConflictError when the id or digest exists; NotFoundError when the grant does not. */
  createRefreshToken(input: NewRefreshToken): Promise<RefreshToken>;
  findRefreshToken(tokenDigest: string): Promise<RefreshToken | undefined>;
  /**
   * Exchanges the presented token for `newToken`, atomically: when the presented token
   * is current (its client's, not rotated, `now` before its `idleExpiresAt`, its grant
   * not revoked and `now` before the grant's `absoluteExpiresAt`), it is marked rotated
   * (`rotatedAt = now`, `replacedBy = newToken.id`) and the successor is stored, in one
   * transaction. Of any number of concurrent rotations of one token exactly one answers
   * 'rotated'; the others answer 'grace' or 'reused'. Precedence when several apply:
   * unknown, revoked, expired (grant), grace/reused, expired (idle). Anything but
   * 'rotated' writes nothing. ConflictError (and nothing written: the presented token
   * stays current) when the successor's id or digest exists.
   */
  rotateRefreshToken(rotation: RefreshTokenRotation): Promise<RotationOutcome>;
  /**
   * Deletes the tokens idle-expired at `now` and those whose grant absolutely expired;
   * returns how many. A rotated token is kept until then, for reuse detection.
   */
  pruneExpired(now: number): Promise<number>;
}

// --- end of codes, grants and refresh tokens ---

// --- Consents (issue 4) ---

export interface ConsentInput {
  userId: string;
  clientId: string;
  scopes: string[];
  tenants: string[];
}

/** Remembered consents, one per user and client (the consent page). */
export interface ConsentStore {
  /** The user's consent for the client, or undefined. */
  findConsent(userId: string, clientId: string): Promise<Consent | undefined>;
  /**
   * Creates the consent, or replaces the scopes and tenants of the existing one (its
   * creation time stays), in one statement: of two concurrent saves the later wins.
   * NotFoundError when the user or the client does not exist.
   */
  saveConsent(input: ConsentInput): Promise<Consent>;
}

// --- end of consents ---

export interface Storage {
  readonly tenants: TenantStore;
  readonly users: UserStore;
  readonly clients: ClientStore;
  readonly scopes: ScopeStore;
  readonly keys: KeyStore;
  readonly revocations: RevocationStore;
  readonly settings: SettingsStore;
  readonly files: FileStore;
  readonly publishedFiles: PublishedFileStore;
  readonly codes: CodeStore;
  readonly grants: GrantStore;
  readonly refreshTokens: RefreshTokenStore;
  readonly consents: ConsentStore;
  /** Resolves when the backend answers a trivial query; StorageUnavailableError otherwise. */
  ping(): Promise<void>;
  /** Applies pending migrations; returns the names applied. */
  migrate(): Promise<string[]>;
  /** Which migrations have run and which are pending (nothing is changed). */
  migrationStatus(): Promise<{ applied: string[]; pending: string[] }>;
  close(): Promise<void>;
}
