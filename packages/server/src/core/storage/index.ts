/**
 * Storage role interfaces (the ports the protocol engine depends on), one file per role.
 * Implementations live in packages/server/src/store/ and all pass one contract suite
 * (test/store/contract.test.ts and its siblings).
 *
 * Every implementation reports a backend failure (connection lost, disk full, lock
 * timeout) as StorageUnavailableError, a broken uniqueness rule as ConflictError, and
 * writes nothing when it throws.
 */
import type { AdminAccountStore } from './admin-accounts.js';
import type { AuditStore } from './audit.js';
import type { ClientStore } from './clients.js';
import type { CodeStore } from './codes.js';
import type { ConsentStore } from './consents.js';
import type { GrantStore } from './grants.js';
import type { KeyStore } from './keys.js';
import type { RefreshTokenStore } from './refresh-tokens.js';
import type { RevocationStore } from './revocations.js';
import type { ScopeStore } from './scopes.js';
import type { SessionStore } from './sessions.js';
import type { SettingsStore } from './settings.js';
import type { TenantStore } from './tenants.js';
import type { UserStore } from './users.js';

export * from './admin-accounts.js';
export * from './audit.js';
export * from './clients.js';
export * from './codes.js';
export * from './consents.js';
export * from './grants.js';
export * from './keys.js';
export * from './refresh-tokens.js';
export * from './revocations.js';
export * from './scopes.js';
export * from './sessions.js';
export * from './settings.js';
export * from './tenants.js';
export * from './throttle.js';
export * from './users.js';

/** Every role of one backend, with its lifecycle. */
export interface Storage {
  readonly tenants: TenantStore;
  readonly users: UserStore;
  readonly clients: ClientStore;
  readonly scopes: ScopeStore;
  readonly keys: KeyStore;
  readonly revocations: RevocationStore;
  readonly settings: SettingsStore;
  readonly codes: CodeStore;
  readonly grants: GrantStore;
  readonly refreshTokens: RefreshTokenStore;
  readonly consents: ConsentStore;
  readonly audit: AuditStore;
  readonly adminAccounts: AdminAccountStore;
  readonly sessions: SessionStore;
  /** Resolves when the backend answers a trivial query; StorageUnavailableError otherwise. */
  ping(): Promise<void>;
  /** Applies pending migrations; returns the names applied. */
  migrate(): Promise<string[]>;
  /** Which migrations have run and which are pending (nothing is changed). */
  migrationStatus(): Promise<{ applied: string[]; pending: string[] }>;
  close(): Promise<void>;
}
