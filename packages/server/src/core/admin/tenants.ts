import type { Config } from '../config.js';
import { ValidationError } from '../errors.js';
import type { TenantStore } from '../storage.js';
import type { Tenant } from '../types.js';
import { audited, type AdminAudit } from './audited.js';
import { TENANT_SLUG, checkAccessTokenTtl } from './lookups.js';

export interface TenantServiceDeps {
  tenants: Pick<TenantStore, 'createTenant' | 'listTenants'>;
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

/** Tenants: the workspaces whose clients, users and documents are kept apart. Operator-only. */
export class TenantService {
  constructor(private readonly deps: TenantServiceDeps) {}

  /** ConflictError when the slug is taken. Recorded as `tenant.create`. */
  create(input: CreateTenantInput): Promise<Tenant> {
    return audited(this.deps.audit, 'tenant.create', { tenant: input.slug, target: input.slug }, () => this.createTenant(input), (tenant) => ({ details: { name: tenant.name } }));
  }

  private async createTenant(input: CreateTenantInput): Promise<Tenant> {
    if (!TENANT_SLUG.test(input.slug)) {
      throw new ValidationError(`invalid tenant slug "${input.slug}": use 1-63 lowercase letters, digits and inner hyphens`);
    }
    const name = (input.name ?? input.slug).trim();
    if (name === '' || name.length > 200) throw new ValidationError('a tenant name must be 1-200 characters');
    checkAccessTokenTtl(input.accessTokenTtl, this.deps.config);
    return this.deps.tenants.createTenant({ slug: input.slug, name, accessTokenTtl: input.accessTokenTtl ?? null });
  }

  list(): Promise<Tenant[]> {
    return this.deps.tenants.listTenants();
  }
}
