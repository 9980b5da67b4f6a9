import type { AdminPrincipal } from '../../core/admin/principal.js';
import { html, type SafeHtml } from '../html.js';
import { CSRF_FIELD, layout } from '../pages.js';
import type { Site } from '../site.js';
import { adminLayout as commonLayout, type Crumb, type Viewer } from './common.js';

/**
 * The dashboard's own pages (/admin, sign-in, account): paths, the viewer, and the frame.
 * Signed-in pages render through the content pages' frame (web/admin/common.ts); the
 * sign-in pages are a narrow card without navigation.
 */

export const ADMIN_PATHS = Object.freeze({
  home: '/admin',
  login: '/admin/login',
  secondFactor: '/admin/login/second-factor',
  logout: '/admin/logout',
  mfa: '/admin/account/mfa',
  mfaEnrol: '/admin/account/mfa/enrol',
  mfaDisable: '/admin/account/mfa/disable',
});

/** Who is signed in, for the frame. */
export interface AdminViewer {
  username: string;
  principal: AdminPrincipal;
  csrfToken: string;
  /** The deployment's branding (web/site.ts); default: plain Gatehouse. */
  site?: Site | undefined;
}

/** The sections of the dashboard the home page links to, for this principal (the section pages add their line here). */
export function adminSections(principal: AdminPrincipal): { href: string; label: string; description: string }[] {
  if (principal.kind === 'operator') {
    return [
      { href: '/admin/tenants', label: 'Tenants', description: 'Every tenant: its API clients, scopes, users and admins.' },
      { href: '/admin/operators', label: 'Operators', description: 'The operator accounts (managed with gatehouse admin).' },
      { href: '/admin/keys', label: 'Signing keys', description: 'Rotate or withdraw the keys that sign access tokens.' },
      { href: '/admin/audit', label: 'Audit log', description: 'Who did what, and security events.' },
    ];
  }
  return [
    { href: `/admin/tenants/${encodeURIComponent(principal.tenant)}`, label: 'Your tenant', description: 'Its API clients, scopes, users and admins.' },
    { href: '/admin/audit', label: 'Audit log', description: "Who did what in your tenant." },
  ];
}

/** "operator" or "admin of <tenant>". */
export function describeRole(principal: AdminPrincipal): string {
  return principal.kind === 'operator' ? 'operator (every tenant)' : `tenant admin of ${principal.tenant}`;
}

/** A hidden CSRF field for the signed-in admin's forms. */
export function csrfField(csrfToken: string): SafeHtml {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${csrfToken}">`;
}

/** The content pages' viewer (web/admin/common.ts) of the signed-in admin. */
export function contentViewerOf(viewer: AdminViewer): Viewer {
  return {
    username: viewer.username,
    operator: viewer.principal.kind === 'operator',
    ...(viewer.principal.kind === 'tenant' ? { tenant: viewer.principal.tenant } : {}),
    csrfToken: viewer.csrfToken,
    site: viewer.site,
  };
}

/**
 * A page of the signed-in admin (home, two-step verification, errors): the content pages'
 * frame (web/admin/common.ts: header nav with sign-out, the <h1> from the title), so the
 * whole dashboard has one header.
 */
export function adminLayout(title: string, viewer: AdminViewer, body: SafeHtml, crumbs?: Crumb[]): string {
  return commonLayout({ title, viewer: contentViewerOf(viewer), ...(crumbs ? { crumbs } : {}) }, body);
}

/** A page outside the session (sign-in), in the authorization pages' look. */
export function adminPublicLayout(title: string, body: SafeHtml): string {
  return layout(`${title} · Gatehouse admin`, body);
}

export function adminErrorPage(title: string, message: string, viewer?: AdminViewer): string {
  const links = html`<p>${message}</p>\n<p><a href="${viewer ? ADMIN_PATHS.home : ADMIN_PATHS.login}">${viewer ? 'Back to the dashboard' : 'Sign in'}</a></p>`;
  return viewer ? adminLayout(title, viewer, links) : adminPublicLayout(title, html`<h1>${title}</h1>\n${links}`);
}
