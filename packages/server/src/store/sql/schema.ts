import type { Generated } from 'kysely';

/**
 * Table types for Kysely. Portable column types only: text, integer, bigint. Times are
 * epoch milliseconds (bigint) unless the name ends in `_s` (epoch seconds); booleans
 * are integers 0/1; lists are space-delimited text or JSON text.
 */
export interface TenantsTable {
  id: string;
  slug: string;
  name: string;
  access_token_ttl: number | null;
  created_at: number;
  /** 1: its clients cannot get tokens (issue 14); defaults to 0. */
  disabled: Generated<number>;
  /** Branding (issue 14): `#rrggbb` or null. */
  accent: string | null;
  terms_url: string | null;
  privacy_url: string | null;
  /** The logo, base64 (portable text on both dialects; at most MAX_LOGO_BYTES decoded), its media type and digest. */
  logo_data: string | null;
  logo_type: string | null;
  logo_digest: string | null;
}

// --- Users (issue 4) ---

export interface UsersTable {
  id: string;
  /** As created (display form). */
  username: string;
  /** Lower case (normalizeUsername): unique, what lookups compare. */
  username_normalized: string;
  /** Self-describing scrypt hash (src/core/password.ts). */
  password_hash: string;
  disabled: number;
  revocation_epoch: number;
  created_at: number;
  updated_at: number;
}

/** Which tenants a user belongs to. */
export interface UserTenantsTable {
  user_id: string;
  tenant_id: string;
  created_at: number;
}

// --- end of users ---

export interface ClientsTable {
  id: string;
  /** null: an operator client (migration 2026-12-08T00-00-operator-clients). */
  tenant_id: string | null;
  name: string;
  is_public: number;
  secret_digest: string | null;
  previous_secret_digest: string | null;
  previous_secret_expires_at: number | null;
  grant_types: string;
  scopes: string;
  default_scopes: string;
  redirect_uris: string;
  access_token_ttl: number | null;
  disabled: number;
  revocation_epoch: number;
  resource_server: number;
  /** The revocation revision at which the epoch last rose (0: never). */
  epoch_revision: number;
  /** Seconds (bigint: an absolute lifetime of decades exceeds a 32-bit integer). */
  refresh_idle_ttl: number;
  refresh_absolute_ttl: number;
  refresh_grace: number;
  created_at: number;
  updated_at: number;
  /** When the client was deleted (epoch ms), or null. A deleted client is invisible to lookups. */
  deleted_at: number | null;
}

export interface ScopesTable {
  tenant_id: string;
  name: string;
  description: string;
  created_at: number;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  public_jwk: string;
  sealed_private_jwk: string;
  active: number;
  created_at: number;
  retired_at: number | null;
  withdrawn_at: number | null;
  /** The revocation revision of the withdrawal (0: not withdrawn). */
  revision: number;
}

export interface CountersTable {
  name: string;
  value: number;
}

export interface SettingsTable {
  name: string;
  value: string;
}

export interface RevokedAccessTokensTable {
  jti: string;
  client_id: string;
  expires_at_s: number;
  revision: number;
}

// --- Authorization codes, grants and refresh tokens (issue 4) ---

/** Authorization codes, by digest (the code itself is never stored). */
export interface AuthorizationCodesTable {
  code_digest: string;
  client_id: string;
  user_id: string;
  redirect_uri: string;
  scope: string;
  /** Granted tenant slugs. */
  tenants: string;
  code_challenge: string | null;
  code_challenge_method: string | null;
  auth_time: number;
  expires_at: number;
  consumed_at: number | null;
  /** When a replay of the code was recorded: a grant created from it afterwards is born revoked. */
  grant_revoked_at: number | null;
}

/** One per code exchange: the family of the refresh and access tokens it led to. */
export interface GrantsTable {
  id: string;
  client_id: string;
  user_id: string;
  code_digest: string;
  scope: string;
  tenants: string;
  created_at: number;
  absolute_expires_at: number;
  revoked_at: number | null;
  /** The revocation revision of the revocation (0: not revoked). */
  revision: number;
  /** The last code exchange or refresh (null: granted before this was recorded). */
  last_used_at: number | null;
}

/** Refresh tokens, by digest; a rotated one points at its successor. */
export interface RefreshTokensTable {
  id: string;
  token_digest: string;
  grant_id: string;
  client_id: string;
  created_at: number;
  idle_expires_at: number;
  rotated_at: number | null;
  replaced_by: string | null;
}

// --- end of codes, grants and refresh tokens ---

/** Remembered consents (issue 4): one per user and client; lists are space-delimited. */
export interface ConsentsTable {
  user_id: string;
  client_id: string;
  scopes: string;
  tenants: string;
  created_at: number;
  updated_at: number;
}

/** The audit log (issue 14): admin actions and security events; details as JSON text. */
export interface AuditEventsTable {
  id: string;
  time: number;
  actor: string;
  /** The tenant's slug, or null. */
  tenant: string | null;
  action: string;
  target: string | null;
  outcome: string;
  details: string;
}

/** Operator and tenant-admin accounts (issue 14); tenant_id null: an operator. */
export interface AdminAccountsTable {
  id: string;
  username: string;
  /** Lower case (normalizeUsername): unique. */
  username_normalized: string;
  password_hash: string;
  tenant_id: string | null;
  disabled: number;
  /** AES-256-GCM sealed base32 secret (core/admin/mfa.ts), or null. */
  totp_secret_sealed: string | null;
  totp_last_step: number | null;
  created_at: number;
  updated_at: number;
  last_sign_in_at: number | null;
}

/** An admin account's unused recovery codes, as HMAC digests. */
export interface AdminRecoveryCodesTable {
  account_id: string;
  code_digest: string;
  created_at: number;
}

/** Sign-in sessions (issue 14), users' and admins', by token digest. */
export interface SessionsTable {
  id: string;
  token_digest: string;
  kind: string;
  subject_id: string;
  created_at: number;
  last_seen_at: number;
  idle_expires_at: number;
  absolute_expires_at: number;
}

export interface Database {
  tenants: TenantsTable;
  users: UsersTable;
  user_tenants: UserTenantsTable;
  clients: ClientsTable;
  scopes: ScopesTable;
  signing_keys: SigningKeysTable;
  revoked_access_tokens: RevokedAccessTokensTable;
  settings: SettingsTable;
  counters: CountersTable;
  authorization_codes: AuthorizationCodesTable;
  grants: GrantsTable;
  refresh_tokens: RefreshTokensTable;
  consents: ConsentsTable;
  audit_events: AuditEventsTable;
  admin_accounts: AdminAccountsTable;
  admin_recovery_codes: AdminRecoveryCodesTable;
  sessions: SessionsTable;
}
