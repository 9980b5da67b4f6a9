/** Clients: the applications that ask for tokens, their secrets and refresh settings. See ./index.ts for the rules every store follows. */
import type { Client, GrantType } from '../types.js';

/** A client's refresh token settings when none are given (seconds): 30 days idle, 1 year absolute, no grace. */
export const DEFAULT_REFRESH_SETTINGS = Object.freeze({ refreshIdleTtl: 30 * 86_400, refreshAbsoluteTtl: 365 * 86_400, refreshGraceSeconds: 0 });

export interface NewClient {
  id: string;
  /** null: an operator client (Client.tenantId). */
  tenantId: string | null;
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

/** The settings an operator may change after registration (each replaces the stored value). */
export interface ClientSettings {
  name: string;
  grantTypes: GrantType[];
  scopes: string[];
  defaultScopes: string[];
  redirectUris: string[];
  accessTokenTtl: number | null;
  refreshIdleTtl: number;
  refreshAbsoluteTtl: number;
  refreshGraceSeconds: number;
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
   * (leaving existing descriptions alone; never `gatehouse:admin`, the server's own), in
   * one transaction. With `tenantId` null the client is an operator client and no
   * catalogue is touched. ConflictError when the id is taken; NotFoundError when the
   * tenant does not exist.
   */
  createClient(input: NewClient): Promise<Client>;
  /**
   * Looks a client up by `client_id`, whatever its tenant (ids are globally unique). The
   * answer reflects every change committed before the call began, by any process: an
   * implementation that caches records must not answer from a cache it has not checked
   * since (a rotated secret is refused by the very next request).
   */
  findClient(clientId: string): Promise<Client | undefined>;
  /** The clients of one tenant only: never another tenant's, never an operator client. Oldest first. */
  listClients(tenantId: string): Promise<Client[]>;
  /** The operator clients (tenantId null) only: never a tenant's client. Oldest first. */
  listOperatorClients(): Promise<Client[]>;
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
   * every token issued so far stops being active, and revokes every live grant of the
   * client (same transaction, same revocation revision), so that its refresh tokens stay
   * refused for good; enabling leaves the epoch and the grants alone.
   */
  setClientDisabled(clientId: string, disabled: boolean): Promise<Client | undefined>;
  /**
   * Replaces the client's settings and registers its scope names in the tenant's scope
   * catalogue (leaving existing descriptions alone), in one transaction. Tokens issued
   * so far are left alone (the epoch does not rise). Undefined when the client does not
   * exist (or was deleted).
   */
  updateClient(clientId: string, settings: ClientSettings): Promise<Client | undefined>;
  /**
   * Deletes the client, softly: the row stays with its deletion time, so its id is never
   * reused, but findClient and listClients no longer see it, and every other operation
   * treats it as absent (a deleted client cannot authenticate, so its refresh tokens and
   * grants stop working). Its revocation epoch rises by one, with a revocation revision,
   * so the revocation feed (RevocationStore.readChanges) tells resource servers that
   * every token issued to it is revoked. False when there is no such client (or it was
   * deleted already).
   */
  deleteClient(clientId: string): Promise<boolean>;
  /** The longest access token lifetime configured on any client or tenant (seconds), or null. */
  longestAccessTokenTtl(): Promise<number | null>;
}
