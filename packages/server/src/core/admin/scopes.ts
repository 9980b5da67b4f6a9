import { ValidationError } from '../errors.js';
import { isScopeToken } from '../scope.js';
import type { ScopeStore, TenantStore } from '../storage.js';
import type { ScopeDefinition } from '../types.js';
import { audited, type AdminAudit } from './audited.js';
import { requireTenant } from './lookups.js';

export interface ScopeServiceDeps {
  tenants: Pick<TenantStore, 'findTenantBySlug'>;
  scopes: Pick<ScopeStore, 'upsertScope' | 'listScopes'>;
  audit: AdminAudit;
}

export interface CreateScopeInput {
  tenant: string;
  name: string;
  /** What the scope lets an application do, as the consent page shows it. */
  description: string;
}

/** A tenant's scope catalogue: the scopes and the descriptions the consent page shows. */
export class ScopeService {
  constructor(private readonly deps: ScopeServiceDeps) {}

  /**
   * Creates a scope in the tenant's catalogue with its description, or replaces the
   * description of an existing one. Recorded as `scope.create`.
   */
  create(input: CreateScopeInput): Promise<ScopeDefinition> {
    return audited(this.deps.audit, 'scope.create', { tenant: input.tenant, target: input.name }, () => this.upsert(input));
  }

  private async upsert(input: CreateScopeInput): Promise<ScopeDefinition> {
    if (!isScopeToken(input.name)) {
      throw new ValidationError(`invalid scope name ${JSON.stringify(input.name)}: scope names are 1-200 printable ASCII characters without spaces, quotes or backslashes`);
    }
    const description = input.description.trim();
    if (description === '' || [...description].length > 500) throw new ValidationError('a scope description must be 1-500 characters');
    if (/\p{Cc}/u.test(description)) throw new ValidationError('a scope description must be one line of text, without control characters');
    const tenant = await requireTenant(this.deps.tenants, input.tenant);
    return this.deps.scopes.upsertScope(tenant.id, input.name, description);
  }

  async list(tenantSlug: string): Promise<ScopeDefinition[]> {
    const tenant = await requireTenant(this.deps.tenants, tenantSlug);
    return this.deps.scopes.listScopes(tenant.id);
  }
}
