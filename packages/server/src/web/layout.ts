import { STYLESHEET_PATH } from './assets.js';
import { html, SafeHtml } from './html.js';
import { DEFAULT_SITE, ICON_PATH, type Site, type TenantAppearance } from './site.js';

/**
 * The page around a body, shared by every page Gatehouse renders: the stylesheets (the
 * shared one, then the deployment's and the tenant's accent, then the operator's own),
 * the header (product name or logo, the tenant's when the page is for one, a nav), the
 * footer (terms and privacy links), no script. See web/assets.ts for the classes.
 */
export interface LayoutOptions {
  /** A reading page (landing, account): a wider column. */
  wide?: boolean;
  /** A dashboard page with tables: the widest column. */
  full?: boolean;
  /** The deployment's branding and templates (RouteOptions.site); default: plain Gatehouse. */
  site?: Site;
  /** The tenant the page is for: its name (and logo) in the header, its accent and links. */
  tenant?: TenantAppearance;
  /** Links shown in the header (dashboard, account): `<a href>`s, the current one aria-current="page". */
  nav?: SafeHtml;
}

export function layout(title: string, body: SafeHtml, options: LayoutOptions = {}): string {
  const site = options.site ?? DEFAULT_SITE;
  const tenant = options.tenant;
  const width = options.full ? 'full' : options.wide ? 'wide' : '';
  const stylesheets = [STYLESHEET_PATH, site.brandStylesheetUrl, tenant?.stylesheetUrl, site.customStylesheetUrl].filter((href): href is string => Boolean(href));
  const values = placeholderValues(site, tenant);
  const header = site.templates.header ? new SafeHtml(site.templates.header(values)) : defaultHeader(site, tenant);
  const footer = site.templates.footer ? new SafeHtml(site.templates.footer(values)) : defaultFooter(values);
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="color-scheme" content="light dark">
<title>${title}</title>
<link rel="icon" href="${ICON_PATH}" type="image/svg+xml">
${stylesheets.map((href) => html`<link rel="stylesheet" href="${href}">\n`)}</head>
<body>
${options.nav ? html`<a class="skip-link" href="#main">Skip to content</a>\n` : ''}<header class="site-header"><div class="bar">${header}${options.nav ? html`<nav class="site-nav" aria-label="Main">${options.nav}</nav>` : ''}</div></header>
<main id="main"${width ? html` class="${width}"` : ''}>
${body}
</main>
${footer.toString().trim() ? html`<footer class="site-footer"><div class="bar">${footer}</div></footer>\n` : ''}</body>
</html>
`.toString();
}

function defaultHeader(site: Site, tenant: TenantAppearance | undefined): SafeHtml {
  // A logo stands for the name (most are wordmarks): the name becomes its text alternative.
  const brand = site.logoUrl
    ? html`<img src="${site.logoUrl}" alt="${site.productName}">`
    : html`<span class="brand-mark" aria-hidden="true">${initial(site.productName)}</span><span>${site.productName}</span>`;
  const tenantBrand = tenant && (tenant.logoUrl ? html`<img src="${tenant.logoUrl}" alt="${tenant.name}">` : html`<span>${tenant.name}</span>`);
  return html`<span class="brand">${brand}</span>${tenantBrand ? html`<span class="tenant-brand">${tenantBrand}</span>` : ''}`;
}

function defaultFooter(values: Readonly<Record<string, string>>): SafeHtml {
  const links = [
    values.terms_url ? html`<a href="${values.terms_url}">Terms of service</a>` : '',
    values.privacy_url ? html`<a href="${values.privacy_url}">Privacy policy</a>` : '',
  ].filter(Boolean);
  return html`${links}`;
}

/**
 * The header's mark as an icon (the tab's favicon): the product name's initial on the
 * default accent, rounded like .brand-mark. Plain SVG: no script, no external reference.
 */
export function iconSvg(productName: string): string {
  const letter = initial(productName).replace(/[<>&"']/g, '?');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="8" fill="#0b6bcb"/><text x="16" y="22.5" text-anchor="middle" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" font-size="18" font-weight="700" fill="#ffffff">${letter}</text></svg>\n`;
}

/** The first letter of a name, for a mark when there is no logo. */
export function initial(name: string): string {
  return (name.trim()[0] ?? '?').toUpperCase();
}

/**
 * The values an operator's header/footer template may use (docs/branding.md); each is
 * HTML-escaped where the template puts it. Empty when not configured.
 */
export function placeholderValues(site: Site, tenant: TenantAppearance | undefined): Readonly<Record<string, string>> {
  return {
    product_name: site.productName,
    logo_url: site.logoUrl ?? '',
    tenant_name: tenant?.name ?? '',
    tenant_slug: tenant?.slug ?? '',
    tenant_logo_url: tenant?.logoUrl ?? '',
    // The tenant's links when it has them, else the deployment's.
    terms_url: tenant?.termsUrl ?? site.termsUrl ?? '',
    privacy_url: tenant?.privacyUrl ?? site.privacyUrl ?? '',
  };
}
