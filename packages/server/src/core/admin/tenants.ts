import type { Config } from '../config.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { TenantStore } from '../storage.js';
import type { Tenant } from '../types.js';
import { audited, type AdminAudit } from './audited.js';
import { TENANT_SLUG, checkAccessTokenTtl, requireTenant } from './lookups.js';

export interface TenantServiceDeps {
  tenants: Pick<TenantStore, 'createTenant' | 'listTenants' | 'findTenantBySlug' | 'updateTenant' | 'setTenantDisabled'>;
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

function checkTenantName(given: string): string {
  const name = given.trim();
  if (name === '' || name.length > 200) throw new ValidationError('a tenant name must be 1-200 characters', { field: 'name' });
  return name;
}

function orNotFound(slug: string, tenant: Tenant | undefined): Tenant {
  if (!tenant) throw new NotFoundError(`unknown tenant "${slug}"`);
  return tenant;
}
