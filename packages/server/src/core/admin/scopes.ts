import { NotFoundError, ValidationError } from '../errors.js';
import { ADMIN_SCOPE, isScopeToken } from '../scope.js';
import type { ScopeStore, TenantStore } from '../storage.js';
import type { ScopeDefinition } from '../types.js';
import { audited, type AdminAudit } from './audited.js';
import { requireTenant } from './lookups.js';

export interface ScopeServiceDeps {
  tenants: Pick<TenantStore, 'findTenantBySlug'>;
  scopes: Pick<ScopeStore, 'upsertScope' | 'listScopes' | 'deleteScope'>;
  audit: AdminAudit;
}

export interface CreateScopeInput {
  tenant: string;
  name: string;
  /** What the scope lets an application do, as the consent page shows it. */
  description: string;
}

/**
 * Refuses a comma in scopes an operator registers. A comma is a legal scope-token
 * character, but RFC 6749 §3.3 separates scopes with spaces, so "a,b" is almost always a
 * list typed the wrong way, which would register one scope no client ever requests.
 * Scopes already stored are left as they are.
 */
export function refuseCommaSeparatedScopes(value: string | undefined, field = 'scope'): void {
  if (value === undefined || !value.includes(',')) return;
  const given = value.trim();
  const meant = given.split(/[\s,]+/).filter((token) => token !== '').join(' ');
  throw new ValidationError(`invalid scope ${JSON.stringify(given)}: scope names are separated by spaces, not commas (RFC 6749 §3.3) — did you mean ${JSON.stringify(meant)}?`, { field });
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
    refuseCommaSeparatedScopes(input.name, 'name');
    if (!isScopeToken(input.name)) {
      throw new ValidationError(`invalid scope name ${JSON.stringify(input.name)}: scope names are 1-200 printable ASCII characters without spaces, quotes or backslashes`, { field: 'name' });
    }
    // The server's own scope (README, "Admin API tokens"): never granted by a user, so never described to one.
    if (input.name === ADMIN_SCOPE) throw new ValidationError('gatehouse:admin is the admin API\'s own scope: it belongs to no tenant\'s catalogue');
    const description = input.description.trim();
    if (description === '' || [...description].length > 500) throw new ValidationError('a scope description must be 1-500 characters', { field: 'description' });
    if (/\p{Cc}/u.test(description)) throw new ValidationError('a scope description must be one line of text, without control characters', { field: 'description' });
    const tenant = await requireTenant(this.deps.tenants, input.tenant);
    return this.deps.scopes.upsertScope(tenant.id, input.name, description);
  }

  /**
   * Removes the scope from the tenant's catalogue (ScopeStore.deleteScope): clients that
   * list it keep the name, and the consent page shows it without a description.
   * NotFoundError when the tenant has no such scope. Recorded as `scope.delete`.
   */
  delete(input: { tenant: string; name: string }): Promise<void> {
    return audited(this.deps.audit, 'scope.delete', { tenant: input.tenant, target: input.name }, async () => {
      const tenant = await requireTenant(this.deps.tenants, input.tenant);
      if (!(await this.deps.scopes.deleteScope(tenant.id, input.name))) throw new NotFoundError(`tenant ${input.tenant} has no scope "${input.name}" (see: gatehouse scope list --tenant ${input.tenant})`);
    });
  }

  async list(tenantSlug: string): Promise<ScopeDefinition[]> {
    const tenant = await requireTenant(this.deps.tenants, tenantSlug);
    return this.deps.scopes.listScopes(tenant.id);
  }
}
