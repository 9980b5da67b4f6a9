import type { ClientStore, GrantStore, TenantStore } from './storage.js';

/** The claims of a verified access token that say whom it acts for. */
export interface TenantClaims {
  client_id: string;
  tenant?: string | undefined;
  /** Set on tokens minted from a user's grant (authorization code, refresh token). */
  grant_id?: unknown;
}

export interface TokenTenantsDeps {
  tenants: Pick<TenantStore, 'findTenantBySlug'>;
  grants: Pick<GrantStore, 'findGrant'>;
  clients: Pick<ClientStore, 'findClient'>;
}

/**
 * The tenants a verified access token may act for (docs/architecture.md, "Per-tenant
 * tokens"): a tenant token, its tenant; a tenant-free token from a user's grant, the
 * tenants the user granted; a tenant-free token of a client, the client's tenant. Only
 * tenants that exist, with their display names.
 */
export async function listTenantsOfToken(claims: TenantClaims, deps: TokenTenantsDeps): Promise<{ slug: string; name: string }[]> {
  const slugs =
    claims.tenant !== undefined
      ? [claims.tenant]
      : typeof claims.grant_id === 'string'
        ? ((await deps.grants.findGrant(claims.grant_id))?.tenants ?? [])
        : [(await deps.clients.findClient(claims.client_id))?.tenantSlug].filter((slug): slug is string => typeof slug === 'string');
  const tenants = await Promise.all(slugs.map((slug) => deps.tenants.findTenantBySlug(slug)));
  return tenants.filter((tenant) => tenant !== undefined).map((tenant) => ({ slug: tenant.slug, name: tenant.name }));
}
