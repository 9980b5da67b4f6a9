import { tenantLogoPath, tenantStylesheetPath } from '../core/branding.js';
import type { Tenant } from '../core/types.js';
import type { TenantAppearance } from './site.js';

/**
 * Where a tenant's branding is served, and what its pages show of it. Inline style is
 * forbidden by the pages' CSP, so a tenant's accent comes as a stylesheet of its own;
 * both URLs carry a version (`?v=`) so a browser fetches again after a change, and the
 * responses carry an ETag (RFC 9110 §8.8.3) for revalidation.
 */
export { TENANT_ASSETS_PREFIX, tenantLogoPath, tenantStylesheetPath } from '../core/branding.js';

export function tenantAppearance(tenant: Pick<Tenant, 'slug' | 'name' | 'branding'>): TenantAppearance {
  const { accent, logo, termsUrl, privacyUrl } = tenant.branding;
  return {
    slug: tenant.slug,
    name: tenant.name,
    ...(logo ? { logoUrl: tenantLogoPath(tenant.slug, logo.digest) } : {}),
    ...(accent ? { stylesheetUrl: `${tenantStylesheetPath(tenant.slug)}?v=${accent.slice(1)}` } : {}),
    ...(termsUrl ? { termsUrl } : {}),
    ...(privacyUrl ? { privacyUrl } : {}),
  };
}
