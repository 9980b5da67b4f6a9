/** Tenants: the organisations (workspaces) every client, user and scope belongs to. See ./index.ts for the rules every store follows. */
import type { Logo } from '../branding.js';
import type { Tenant } from '../types.js';

export interface NewTenant {
  slug: string;
  name: string;
  accessTokenTtl: number | null;
}

/** A change of branding: an absent field keeps its value, null clears it. */
export interface TenantBrandingChange {
  accent?: string | null;
  termsUrl?: string | null;
  privacyUrl?: string | null;
  logo?: Logo | null;
}

export interface TenantStore {
  /** Fails with ConflictError when the slug is taken. */
  createTenant(input: NewTenant): Promise<Tenant>;
  findTenantBySlug(slug: string): Promise<Tenant | undefined>;
  listTenants(): Promise<Tenant[]>;
  /**
   * Replaces the tenant's name and access token lifetime (the slug never changes).
   * Undefined when there is no such tenant.
   */
  updateTenant(slug: string, change: { name: string; accessTokenTtl: number | null }): Promise<Tenant | undefined>;
  /**
   * Enables or disables a tenant; findClient reports it as Client.tenantDisabled, and a
   * client of a disabled tenant cannot authenticate. Disabling also raises the revocation
   * epoch of each of its clients by one (with one revocation revision, in one
   * transaction), so every token issued to them stops being active, on the revocation
   * feed too, and revokes every live grant of its clients (same transaction and revision:
   * their refresh tokens stay refused for good); enabling leaves the epochs and the grants
   * alone. Undefined when there is no such tenant.
   */
  setTenantDisabled(slug: string, disabled: boolean): Promise<Tenant | undefined>;
  /**
   * Changes the fields of the tenant's branding that `change` names (Tenant.branding;
   * a logo's digest is computed here). Undefined when there is no such tenant.
   */
  setTenantBranding(slug: string, change: TenantBrandingChange): Promise<Tenant | undefined>;
  /** The tenant's logo with its digest (the one Tenant.branding shows); undefined without a logo or tenant. */
  findTenantLogo(slug: string): Promise<(Logo & { digest: string }) | undefined>;
}
