import { html, type SafeHtml } from '../html.js';
import { CSRF_FIELD, layout } from '../pages.js';
import type { Site } from '../site.js';

/**
 * The frame and small parts every dashboard page shares. Pages are plain forms and links
 * (they work without JavaScript); every form posts with the session's CSRF token. The
 * render functions take page models of plain values and never reach a service.
 */

export const ADMIN_PATH = '/admin';

/** Who is looking at the page: what the navigation offers and which forms are shown. */
export interface Viewer {
  username: string;
  /** Operators manage every tenant and the deployment-wide settings (signing keys). */
  operator: boolean;
  /** A tenant admin's own tenant (its slug); undefined for operators. */
  tenant?: string;
  csrfToken: string;
  /** The deployment's branding (web/site.ts); default: plain Gatehouse. */
  site?: Site | undefined;
}

/** A message shown once after a POST-redirect-GET: its key names one of FLASH_MESSAGES, never free text from the URL. */
export const FLASH_MESSAGES = {
  'tenant-created': 'The tenant was created.',
  'tenant-updated': 'The tenant was saved.',
  'tenant-disabled': 'The tenant was disabled: its clients can no longer get tokens, and the tokens they held are revoked.',
  'tenant-enabled': 'The tenant was enabled.',
  'client-updated': 'The client was saved.',
  'client-disabled': 'The client was disabled: it can no longer get tokens, and its tokens are revoked.',
  'client-enabled': 'The client was enabled.',
  'client-deleted': 'The client was deleted, and every token issued to it revoked.',
  'scope-saved': 'The scope was saved.',
  'scope-deleted': 'The scope was deleted.',
  'user-created': 'The user was created.',
  'user-added': 'The user was added to the tenant.',
  'user-already-member': 'The user already belonged to the tenant.',
  'user-removed': 'The user was removed from the tenant; its applications lost access to it.',
  'admin-created': 'The admin account was created. Give the person the password by a separate channel.',
  'admin-disabled': 'The admin account was disabled and signed out.',
  'admin-enabled': 'The admin account was enabled.',
  'admin-deleted': 'The admin account was deleted and signed out.',
  'branding-saved': 'The branding was saved.',
  'logo-uploaded': 'The logo was uploaded.',
  'logo-removed': 'The logo was removed.',
  'key-rotated': 'A new signing key is active. The previous key stays published until the tokens it signed expire.',
  'key-withdrawn': 'The key was withdrawn: every token it signed stops verifying.',
} as const;

export type FlashKey = keyof typeof FLASH_MESSAGES;

export function isFlashKey(value: unknown): value is FlashKey {
  return typeof value === 'string' && Object.hasOwn(FLASH_MESSAGES, value);
}

export interface Crumb {
  label: string;
  href?: string;
}

export interface AdminPageFrame {
  title: string;
  viewer: Viewer;
  /** The path of links above the title (the last one is the current page, unlinked). */
  crumbs?: Crumb[];
  flash?: FlashKey | undefined;
  /** The navigation link marked current. */
  section?: Section | undefined;
  /** An error to show above the page's content (a refused form). */
  error?: string | undefined;
}

export function tenantPath(slug: string, rest = ''): string {
  return `${ADMIN_PATH}/tenants/${encodeURIComponent(slug)}${rest}`;
}

export function clientPath(slug: string, clientId: string, rest = ''): string {
  return tenantPath(slug, `/clients/${encodeURIComponent(clientId)}${rest}`);
}

/** The dashboard's sections, for the navigation's current link. */
export type Section = 'tenants' | 'tenant' | 'clients' | 'keys' | 'audit';

/** The page frame of the dashboard: the header's navigation (with sign-out), crumbs, flash and error notices. */
export function adminLayout(frame: AdminPageFrame, body: SafeHtml): string {
  const { viewer } = frame;
  const links: [Section, string, string][] = viewer.operator
    ? [
        ['tenants', `${ADMIN_PATH}/tenants`, 'Tenants'],
        ['keys', `${ADMIN_PATH}/keys`, 'Signing keys'],
        ['audit', `${ADMIN_PATH}/audit`, 'Audit log'],
      ]
    : [
        ['tenant', tenantPath(viewer.tenant ?? ''), 'My tenant'],
        ['clients', tenantPath(viewer.tenant ?? '', '/clients'), 'API clients'],
        ['audit', `${ADMIN_PATH}/audit`, 'Audit log'],
      ];
  const crumbs = frame.crumbs ?? [];
  const nav = html`${links.map(([section, href, label]) => html`<a href="${href}"${section === frame.section ? html` aria-current="page"` : ''}>${label}</a>`)}
<form method="post" action="${ADMIN_PATH}/logout" class="inline">${csrfInput(viewer)}<button type="submit" class="link" title="Signed in as ${viewer.username}">Sign out ${viewer.username}</button></form>`;
  return layout(
    `${frame.title} · Dashboard`,
    html`${crumbs.length > 0 ? html`<nav aria-label="Breadcrumb" class="small muted">${crumbs.map((crumb, index) => html`${index > 0 ? ' › ' : ''}${crumb.href ? html`<a href="${crumb.href}">${crumb.label}</a>` : html`<span aria-current="page">${crumb.label}</span>`}`)}</nav>` : ''}
<h1>${frame.title}</h1>
${frame.flash ? html`<p class="notice success" role="status">${FLASH_MESSAGES[frame.flash]}</p>` : ''}
${frame.error ? html`<p class="notice error" role="alert">${frame.error}</p>` : ''}
${body}`,
    { full: true, nav, ...(viewer.site ? { site: viewer.site } : {}) },
  );
}

export function csrfInput(viewer: Pick<Viewer, 'csrfToken'>): SafeHtml {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${viewer.csrfToken}">`;
}

/** A form of one button (disable, enable, remove …): POST with the CSRF token. */
export function actionButton(
  viewer: Viewer,
  action: string,
  label: string,
  { kind = 'secondary', fields = {}, inline = true }: { kind?: 'primary' | 'secondary' | 'danger'; fields?: Record<string, string>; inline?: boolean } = {},
): SafeHtml {
  const button = html`<button type="submit"${kind === 'primary' ? '' : html` class="${kind}"`}>${label}</button>`;
  return html`<form method="post" action="${action}"${inline ? html` class="inline"` : ''}>${csrfInput(viewer)}${Object.entries(fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}${inline ? button : html`<div class="actions">${button}</div>`}</form>`;
}

/** A GET search form over a list (the query stays in the URL: it is not secret). */
export function searchForm(action: string, query: string, label: string): SafeHtml {
  return html`<form method="get" action="${action}" class="search" role="search">
<label for="q">${label}</label>
<input type="search" id="q" name="q" value="${query}">
<div class="actions"><button type="submit" class="secondary">Search</button></div>
</form>`;
}

/** A table that scrolls sideways inside itself at phone width instead of widening the page. */
export function table(caption: string, headings: string[], rows: SafeHtml[], empty: string): SafeHtml {
  if (rows.length === 0) return html`<p class="empty">${empty}</p>`;
  return html`<div class="table-wrap"><table aria-label="${caption}">
<thead><tr>${headings.map((heading) => html`<th scope="col">${heading}</th>`)}</tr></thead>
<tbody>${rows}</tbody>
</table></div>`;
}

/** Epoch ms as a UTC time a person reads, to the minute. */
export function formatTime(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** A lifetime as a person reads it: whole hours or days when it is that long ("about 24 hours"). */
export function formatApproxDuration(seconds: number): string {
  if (seconds >= 2 * 86_400) return `about ${Math.round(seconds / 86_400)} days`;
  if (seconds >= 2 * 3600) return `about ${Math.round(seconds / 3600)} hours`;
  return `about ${Math.round(seconds / 60)} minutes`;
}

/** Case-insensitive "contains" over some of an item's fields: the lists' search. */
export function matchesQuery(query: string, ...fields: string[]): boolean {
  const needle = query.trim().toLowerCase();
  return needle === '' || fields.some((field) => field.toLowerCase().includes(needle));
}

/** A status badge (enabled/disabled). */
export function statusBadge(disabled: boolean): SafeHtml {
  return disabled ? html`<span class="badge off">disabled</span>` : html`<span class="badge ok">enabled</span>`;
}
