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
}

export interface ClientsTable {
  id: string;
  tenant_id: string;
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
  created_at: number;
  updated_at: number;
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

/** The demo document API's files (src/demo); the bytes are under the data directory. */
export interface DemoFilesTable {
  id: string;
  tenant_id: string;
  name: string;
  size: number;
  content_type: string;
  created_at: number;
  /** The unguessable id of the file's public download link; null while unpublished. */
  public_id: string | null;
}

export interface Database {
  tenants: TenantsTable;
  clients: ClientsTable;
  scopes: ScopesTable;
  signing_keys: SigningKeysTable;
  revoked_access_tokens: RevokedAccessTokensTable;
  settings: SettingsTable;
  counters: CountersTable;
  demo_files: DemoFilesTable;
}
