import { html, type SafeHtml } from '../html.js';
import { CSRF_FIELD, layout } from '../pages.js';

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
  /** An error to show above the page's content (a refused form). */
  error?: string | undefined;
}

export function tenantPath(slug: string, rest = ''): string {
  return `${ADMIN_PATH}/tenants/${encodeURIComponent(slug)}${rest}`;
}

export function clientPath(slug: string, clientId: string, rest = ''): string {
  return tenantPath(slug, `/clients/${encodeURIComponent(clientId)}${rest}`);
}

/** The page frame of the dashboard: navigation, the signed-in admin, crumbs, flash and error notices. */
export function adminLayout(frame: AdminPageFrame, body: SafeHtml): string {
  const { viewer } = frame;
  const links = viewer.operator
    ? [
        [`${ADMIN_PATH}/tenants`, 'Tenants'],
        [`${ADMIN_PATH}/keys`, 'Signing keys'],
        [`${ADMIN_PATH}/audit`, 'Audit log'],
      ]
    : [
        [tenantPath(viewer.tenant ?? ''), 'My tenant'],
        [tenantPath(viewer.tenant ?? '', '/clients'), 'API clients'],
        [`${ADMIN_PATH}/audit`, 'Audit log'],
      ];
  const crumbs = frame.crumbs ?? [];
  return layout(
    `${frame.title} · Gatehouse dashboard`,
    html`<header class="admin-header">
<nav aria-label="Dashboard"><a href="${ADMIN_PATH}">Dashboard</a> ${links.map(([href, label]) => html`<a href="${href}">${label}</a> `)}</nav>
<form method="post" action="${ADMIN_PATH}/logout" class="inline">${csrfInput(viewer)}<span class="muted">${viewer.username}</span> <button type="submit" class="secondary">Sign out</button></form>
</header>
${crumbs.length > 0 ? html`<nav aria-label="Breadcrumb" class="crumbs">${crumbs.map((crumb, index) => html`${index > 0 ? ' › ' : ''}${crumb.href ? html`<a href="${crumb.href}">${crumb.label}</a>` : html`<span aria-current="page">${crumb.label}</span>`}`)}</nav>` : ''}
<h1>${frame.title}</h1>
${frame.flash ? html`<p class="notice success" role="status">${FLASH_MESSAGES[frame.flash]}</p>` : ''}
${frame.error ? html`<p class="notice error" role="alert">${frame.error}</p>` : ''}
${body}`,
    { wide: true },
  );
}

export function csrfInput(viewer: Pick<Viewer, 'csrfToken'>): SafeHtml {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${viewer.csrfToken}">`;
}

/** A form of one button (disable, enable, remove …): POST with the CSRF token. */
export function actionButton(viewer: Viewer, action: string, label: string, { kind = 'secondary', fields = {} }: { kind?: 'primary' | 'secondary' | 'danger'; fields?: Record<string, string> } = {}): SafeHtml {
  return html`<form method="post" action="${action}" class="inline">${csrfInput(viewer)}${Object.entries(fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}<button type="submit" class="${kind}">${label}</button></form>`;
}

/** A GET search form over a list (the query stays in the URL: it is not secret). */
export function searchForm(action: string, query: string, label: string): SafeHtml {
  return html`<form method="get" action="${action}" class="search" role="search">
<label for="q">${label}</label>
<input type="search" id="q" name="q" value="${query}">
<button type="submit" class="secondary">Search</button>
</form>`;
}

/** A table that scrolls sideways inside itself at phone width instead of widening the page. */
export function table(caption: string, headings: string[], rows: SafeHtml[], empty: string): SafeHtml {
  if (rows.length === 0) return html`<p class="muted">${empty}</p>`;
  return html`<div class="table-wrap"><table>
<caption class="visually-hidden">${caption}</caption>
<thead><tr>${headings.map((heading) => html`<th scope="col">${heading}</th>`)}</tr></thead>
<tbody>${rows}</tbody>
</table></div>`;
}

/** Epoch ms as a UTC time a person reads, to the minute. */
export function formatTime(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Case-insensitive "contains" over some of an item's fields: the lists' search. */
export function matchesQuery(query: string, ...fields: string[]): boolean {
  const needle = query.trim().toLowerCase();
  return needle === '' || fields.some((field) => field.toLowerCase().includes(needle));
}

/** A status badge (enabled/disabled). */
export function statusBadge(disabled: boolean): SafeHtml {
  return disabled ? html`<span class="badge danger">disabled</span>` : html`<span class="badge">enabled</span>`;
}
