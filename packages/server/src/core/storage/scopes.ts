/** Scopes: each tenant's catalogue of scope names and descriptions. See ./index.ts for the rules every store follows. */
import type { ScopeDefinition } from '../types.js';

export interface ScopeStore {
  /** Every scope of one tenant, sorted by name. */
  listScopes(tenantId: string): Promise<ScopeDefinition[]>;
  /** The distinct scope names of all tenants, sorted (not published: metadata lists no scopes_supported). */
  listScopeNames(): Promise<string[]>;
  /**
   * Creates the scope in the tenant's catalogue, or replaces the description of the
   * existing one (its name and creation time stay). NotFoundError when the tenant does
   * not exist.
   */
  upsertScope(tenantId: string, name: string, description: string): Promise<ScopeDefinition>;
  /**
   * Removes the scope from the tenant's catalogue (and so from `scopes_supported` unless
   * another tenant has it). Clients that list the name keep it, and may still request
   * it; the consent page then shows the bare name, without a description. Registering
   * or updating such a client registers the name again, without a description. False
   * when the tenant has no such scope.
   */
  deleteScope(tenantId: string, name: string): Promise<boolean>;
}
