import { toAuditLogLine, type AuditLogLine } from '../audit.js';
import type { AuditEvent } from '../storage.js';
import { tenantLogoPath } from '../branding.js';
import type { AdminAccount } from '../storage.js';
import type { Client, ScopeDefinition, SigningKey, Tenant, User } from '../types.js';
import type { CreatedClient, RotatedSecret } from './clients.js';
import type { GrantView, RevokedGrant } from './grants.js';
import type { PublishedKey } from './keys.js';

/**
 * The wire shapes of admin resources: what `gatehouse … --json` prints and what the
 * admin API returns. snake_case names as in OAuth's own documents, times as ISO 8601,
 * lifetimes in seconds. Never a secret or a digest, except the secret a create or a
 * rotation returns once.
 */

const isoTime = (epochMs: number): string => new Date(epochMs).toISOString();

export interface TenantResource {
  slug: string;
  name: string;
  access_token_ttl: number | null;
  /** Its clients cannot get tokens. */
  disabled: boolean;
  /** How its pages look (`gatehouse tenant branding`); null: not set, the deployment's applies. */
  branding: TenantBrandingResource;
  created_at: string;
}

export interface TenantBrandingResource {
  /** `#rrggbb`. */
  accent: string | null;
  /** Where Gatehouse serves the logo, relative to the issuer (versioned: it changes with the logo). */
  logo_url: string | null;
  terms_url: string | null;
  privacy_url: string | null;
}

export function toTenantResource(tenant: Tenant): TenantResource {
  const { accent, logo, termsUrl, privacyUrl } = tenant.branding;
  return {
    slug: tenant.slug,
    name: tenant.name,
    access_token_ttl: tenant.accessTokenTtl,
    disabled: tenant.disabled,
    branding: { accent, logo_url: logo ? tenantLogoPath(tenant.slug, logo.digest) : null, terms_url: termsUrl, privacy_url: privacyUrl },
    created_at: isoTime(tenant.createdAt),
  };
}

export interface ClientResource {
  client_id: string;
  /** The tenant's slug; null for an operator client. */
  tenant: string | null;
  /** An operator client (issue 14): it belongs to no tenant, its gatehouse:admin tokens manage every tenant. */
  operator: boolean;
  name: string;
  public: boolean;
  resource_server: boolean;
  grant_types: string[];
  /** Space-delimited (RFC 6749 §3.3). */
  scope: string;
  default_scope: string;
  redirect_uris: string[];
  access_token_ttl: number | null;
  refresh_idle_ttl: number;
  refresh_absolute_ttl: number;
  refresh_grace: number;
  disabled: boolean;
  created_at: string;
}

export function toClientResource(client: Client): ClientResource {
  return {
    client_id: client.id,
    tenant: client.tenantSlug,
    operator: client.tenantId === null,
    name: client.name,
    public: client.isPublic,
    resource_server: client.resourceServer,
    grant_types: client.grantTypes,
    scope: client.scopes.join(' '),
    default_scope: client.defaultScopes.join(' '),
    redirect_uris: client.redirectUris,
    access_token_ttl: client.accessTokenTtl,
    refresh_idle_ttl: client.refreshIdleTtl,
    refresh_absolute_ttl: client.refreshAbsoluteTtl,
    refresh_grace: client.refreshGraceSeconds,
    disabled: client.disabled,
    created_at: isoTime(client.createdAt),
  };
}

/**
 * An operator client as the admin API's /operator-clients routes and `gatehouse client …
 * --operator --json` show it: a client resource that names no tenant.
 */
export type OperatorClientResource = ClientResource & { tenant: null; operator: true };

export function toOperatorClientResource(client: Client): OperatorClientResource {
  if (client.tenantId !== null) throw new TypeError(`client ${client.id} is not an operator client`);
  return { ...toClientResource(client), tenant: null, operator: true };
}

/** A client just registered: its resource and, for a confidential client, the secret (shown this once). */
export function toCreatedClientResource({ client, secret }: CreatedClient): ClientResource & { client_secret?: string } {
  return { ...toClientResource(client), ...(secret !== undefined ? { client_secret: secret } : {}) };
}

export interface RotatedSecretResource {
  client_id: string;
  client_secret: string;
  /** null for an operator client. */
  tenant: string | null;
  /** Until when the previous secret keeps working; null when it stopped at once. */
  previous_secret_expires_at: string | null;
}

export function toRotatedSecretResource(rotated: RotatedSecret): RotatedSecretResource {
  return {
    client_id: rotated.client.id,
    client_secret: rotated.secret,
    tenant: rotated.client.tenantSlug,
    previous_secret_expires_at: rotated.previousSecretExpiresAt === null ? null : isoTime(rotated.previousSecretExpiresAt),
  };
}

export interface UserResource {
  username: string;
  /** The slugs of the tenants the user belongs to. */
  tenants: string[];
  disabled: boolean;
  created_at: string;
}

export function toUserResource(user: User): UserResource {
  return { username: user.username, tenants: user.tenants.map((tenant) => tenant.slug), disabled: user.disabled, created_at: isoTime(user.createdAt) };
}

/** A grant a user gave a client (one per code exchange); never a token or a code digest. */
export interface GrantResource {
  grant_id: string;
  /** The username; null when the user is gone. */
  user: string | null;
  client_id: string;
  /** The client's name; null when the client is gone. */
  client_name: string | null;
  /** The slugs of the tenants granted. */
  tenants: string[];
  /** Space-delimited (RFC 6749 §3.3). */
  scope: string;
  created_at: string;
  expires_at: string;
  revoked: boolean;
  revoked_at: string | null;
}

export function toGrantResource({ grant, clientName, username }: GrantView): GrantResource {
  return {
    grant_id: grant.id,
    user: username,
    client_id: grant.clientId,
    client_name: clientName,
    tenants: grant.tenants,
    scope: grant.scope.join(' '),
    created_at: isoTime(grant.createdAt),
    expires_at: isoTime(grant.absoluteExpiresAt),
    revoked: grant.revokedAt !== null,
    revoked_at: grant.revokedAt === null ? null : isoTime(grant.revokedAt),
  };
}

/** A revocation: the grant as it now is, and whether the user's remembered consent for the client was forgotten. */
export function toRevokedGrantResource(revoked: RevokedGrant): GrantResource & { consent_forgotten: boolean } {
  return { ...toGrantResource(revoked), consent_forgotten: revoked.consentForgotten };
}

export interface ScopeResource {
  /** The tenant's slug, when the scope is shown outside its tenant's list. */
  tenant?: string;
  name: string;
  description: string;
}

/** A scope of a tenant's catalogue; `tenantSlug` is named when the scope is shown alone. */
export function toScopeResource(scope: ScopeDefinition, tenantSlug?: string): ScopeResource {
  return { ...(tenantSlug !== undefined ? { tenant: tenantSlug } : {}), name: scope.name, description: scope.description };
}

/** A signing key as a rotation reports it (the public key is in the JWKS). */
export interface NewSigningKeyResource {
  kid: string;
  alg: string;
}

export function toNewSigningKeyResource(key: SigningKey): NewSigningKeyResource {
  return { kid: key.kid, alg: key.alg };
}

export interface SigningKeyResource {
  kid: string;
  alg: string;
  active: boolean;
  created_at: string;
  /** When a retired key leaves the JWKS; null for the active key. */
  published_until: string | null;
}

export function toSigningKeyResource(key: PublishedKey): SigningKeyResource {
  return {
    kid: key.kid,
    alg: key.alg,
    active: key.active,
    created_at: isoTime(key.createdAt),
    published_until: key.publishedUntil === null ? null : isoTime(key.publishedUntil),
  };
}

/** An audit event: its id and the fields of its log line (core/audit.ts), with snake_case details. */
export interface AuditEventResource extends AuditLogLine {
  id: string;
}

export function toAuditEventResource(event: AuditEvent): AuditEventResource {
  return { id: event.id, ...toAuditLogLine(event) };
}

/** A page of the audit log, newest first; `next` is the cursor of the following (older) page, or null. */
export interface AuditPageResource {
  items: AuditEventResource[];
  next: string | null;
}

export function toAuditPageResource(page: { events: AuditEvent[]; next: string | null }): AuditPageResource {
  return { items: page.events.map(toAuditEventResource), next: page.next };
}

/** An operator or tenant-admin account; never its password hash, TOTP secret or recovery codes. */
export interface AdminAccountResource {
  username: string;
  /** `operator` (every tenant) or `tenant_admin` (its tenant only). */
  role: 'operator' | 'tenant_admin';
  /** The tenant's slug; null for an operator. */
  tenant: string | null;
  disabled: boolean;
  /** Whether a TOTP second factor is enrolled. */
  mfa: boolean;
  recovery_codes_left: number;
  created_at: string;
  last_sign_in_at: string | null;
}

export function toAdminAccountResource(account: AdminAccount): AdminAccountResource {
  return {
    username: account.username,
    role: account.tenantId === null ? 'operator' : 'tenant_admin',
    tenant: account.tenantSlug,
    disabled: account.disabled,
    mfa: account.mfaEnabled,
    recovery_codes_left: account.recoveryCodesLeft,
    created_at: isoTime(account.createdAt),
    last_sign_in_at: account.lastSignInAt === null ? null : isoTime(account.lastSignInAt),
  };
}
