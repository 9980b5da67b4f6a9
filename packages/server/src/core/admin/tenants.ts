import type { Config } from '../config.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { checkAccent, checkBrandUrl, checkLogo } from '../branding.js';
import type { AuditDetails, TenantBrandingChange, TenantStore } from '../storage.js';
import type { Tenant } from '../types.js';
import { audited, type AdminAudit } from './audited.js';
import { TENANT_SLUG, checkAccessTokenTtl, requireTenant } from './lookups.js';

export interface TenantServiceDeps {
  tenants: Pick<TenantStore, 'createTenant' | 'listTenants' | 'findTenantBySlug' | 'updateTenant' | 'setTenantDisabled' | 'setTenantBranding'>;
  config: Pick<Config, 'maxAccessTokenTtl'>;
  audit: AdminAudit;
}

export interface CreateTenantInput {
  slug: string;
  /** Display name; default: the slug. */
  name?: string;
  /** Access token lifetime (seconds) for the tenant's clients; null: the server default. */
  accessTokenTtl?: number | null;
}

/** What `tenant update` changes; an absent field keeps its value. The slug never changes. */
export interface UpdateTenantInput {
  name?: string;
  /** null: back to the server default. */
  accessTokenTtl?: number | null;
}

/**
 * What `tenant branding` changes (the CLI, the admin API and the dashboard pass it as
 * is): an absent field keeps its value; null or '' removes it.
 */
export interface TenantBrandingInput {
  /** Accent colour `#rrggbb`: primary buttons, links, focus rings on the tenant's pages. */
  accent?: string | null;
  /** Links in the footer of the tenant's pages: https (http only for localhost). */
  termsUrl?: string | null;
  privacyUrl?: string | null;
  /** The logo's bytes: PNG, JPEG, WebP or SVG (read from the bytes), at most 256 KiB. */
  logo?: Uint8Array | null;
}

/** Tenants: the workspaces whose clients, users and documents are kept apart. Operator-only. */
export class TenantService {
  constructor(private readonly deps: TenantServiceDeps) {}

  /** ConflictError when the slug is taken. Recorded as `tenant.create`. */
  create(input: CreateTenantInput): Promise<Tenant> {
    return audited(this.deps.audit, 'tenant.create', { tenant: input.slug, target: input.slug }, () => this.createTenant(input), (tenant) => ({ details: { name: tenant.name } }));
  }

  private async createTenant(input: CreateTenantInput): Promise<Tenant> {
    if (!TENANT_SLUG.test(input.slug)) {
      throw new ValidationError(`invalid tenant slug "${input.slug}": use 1-63 lowercase letters, digits and inner hyphens`, { field: 'slug' });
    }
    const name = checkTenantName(input.name ?? input.slug);
    checkAccessTokenTtl(input.accessTokenTtl, this.deps.config);
    return this.deps.tenants.createTenant({ slug: input.slug, name, accessTokenTtl: input.accessTokenTtl ?? null });
  }

  /** Changes the name or the access token lifetime, with the checks of `create`. Recorded as `tenant.update`. */
  update(slug: string, input: UpdateTenantInput): Promise<Tenant> {
    return audited(this.deps.audit, 'tenant.update', { tenant: slug, target: slug }, () => this.updateTenant(slug, input), (tenant) => ({ details: { name: tenant.name } }));
  }

  private async updateTenant(slug: string, input: UpdateTenantInput): Promise<Tenant> {
    const tenant = await requireTenant(this.deps.tenants, slug);
    const name = checkTenantName(input.name ?? tenant.name);
    const accessTokenTtl = input.accessTokenTtl === undefined ? tenant.accessTokenTtl : input.accessTokenTtl;
    checkAccessTokenTtl(accessTokenTtl, this.deps.config);
    return orNotFound(slug, await this.deps.tenants.updateTenant(slug, { name, accessTokenTtl }));
  }

  /**
   * Sets the tenant's branding (display name: `update`). ValidationError naming the field
   * for a bad colour, URL or image. Recorded as `tenant.branding` with what changed (never
   * the logo's bytes).
   */
  setBranding(slug: string, input: TenantBrandingInput): Promise<Tenant> {
    return audited(
      this.deps.audit,
      'tenant.branding',
      { tenant: slug, target: slug },
      async () => orNotFound(slug, await this.deps.tenants.setTenantBranding(slug, checkBrandingInput(input))),
      (tenant) => ({ details: brandingDetails(input, tenant) }),
    );
  }

  /**
   * Disables the tenant: its clients can no longer authenticate (so get no tokens, nor
   * refresh any), and every token issued to them is revoked (TenantStore.setTenantDisabled).
   * Recorded as `tenant.disable`.
   */
  disable(slug: string): Promise<Tenant> {
    return audited(this.deps.audit, 'tenant.disable', { tenant: slug, target: slug }, async () => orNotFound(slug, await this.deps.tenants.setTenantDisabled(slug, true)));
  }

  /** Re-enables a disabled tenant; tokens revoked by disabling stay revoked. Recorded as `tenant.enable`. */
  enable(slug: string): Promise<Tenant> {
    return audited(this.deps.audit, 'tenant.enable', { tenant: slug, target: slug }, async () => orNotFound(slug, await this.deps.tenants.setTenantDisabled(slug, false)));
  }

  list(): Promise<Tenant[]> {
    return this.deps.tenants.listTenants();
  }
}

const cleared = (value: string | null | undefined) => value === null || (typeof value === 'string' && value.trim() === '');

/** Checks a branding change (ValidationError naming the field); what the store is given. */
export function checkBrandingInput(input: TenantBrandingInput): TenantBrandingChange {
  const change: TenantBrandingChange = {};
  if (input.accent !== undefined) change.accent = cleared(input.accent) ? null : checkAccent(input.accent!, 'accent');
  if (input.termsUrl !== undefined) change.termsUrl = cleared(input.termsUrl) ? null : checkBrandUrl(input.termsUrl!, 'terms URL');
  if (input.privacyUrl !== undefined) change.privacyUrl = cleared(input.privacyUrl) ? null : checkBrandUrl(input.privacyUrl!, 'privacy URL');
  if (input.logo !== undefined) change.logo = input.logo === null ? null : checkLogo(input.logo, 'logo');
  return change;
}

/** What the audit event says changed: the fields given, the logo as set/removed (never its bytes). */
function brandingDetails(input: TenantBrandingInput, tenant: Tenant): AuditDetails {
  const details: Record<string, string | null> = {};
  if (input.accent !== undefined) details.accent = tenant.branding.accent;
  if (input.termsUrl !== undefined) details.terms_url = tenant.branding.termsUrl;
  if (input.privacyUrl !== undefined) details.privacy_url = tenant.branding.privacyUrl;
  if (input.logo !== undefined) details.logo = tenant.branding.logo ? tenant.branding.logo.contentType : 'removed';
  return details;
}

function checkTenantName(given: string): string {
  const name = given.trim();
  if (name === '' || name.length > 200) throw new ValidationError('a tenant name must be 1-200 characters', { field: 'name' });
  return name;
}

function orNotFound(slug: string, tenant: Tenant | undefined): Tenant {
  if (!tenant) throw new NotFoundError(`unknown tenant "${slug}"`);
  return tenant;
}
