import type { AdminPrincipal } from '../../core/admin/principal.js';
import { html, type SafeHtml } from '../html.js';
import { CSRF_FIELD, layout } from '../pages.js';

/**
 * The dashboard's frame (/admin): the pages of web/pages.ts (same stylesheet, no script,
 * served with PAGE_SECURITY_HEADERS), wide, with who is signed in and a logout button
 * (a form: logging out is a POST with the session's CSRF token).
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
}

/** The sections of the dashboard the home page links to, for this principal (the section pages add their line here). */
export function adminSections(principal: AdminPrincipal): { href: string; label: string; description: string }[] {
  if (principal.kind === 'operator') {
    return [
      { href: '/admin/tenants', label: 'Tenants', description: 'Every tenant: its API clients, scopes, users and admins.' },
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

/** A dashboard page: a header naming the admin, with Home and Log out, then the body. */
export function adminLayout(title: string, viewer: AdminViewer, body: SafeHtml): string {
  return layout(
    `${title} · Gatehouse admin`,
    html`<header class="admin-header">
<p><a href="${ADMIN_PATHS.home}">Gatehouse admin</a> · signed in as <strong>${viewer.username}</strong>, ${describeRole(viewer.principal)}</p>
<form method="post" action="${ADMIN_PATHS.logout}">${csrfField(viewer.csrfToken)}<button type="submit">Log out</button></form>
</header>
<hr>
${body}`,
    { wide: true },
  );
}

/** A page outside the session (sign-in), in the authorization pages' look. */
export function adminPublicLayout(title: string, body: SafeHtml): string {
  return layout(`${title} · Gatehouse admin`, body);
}

export function adminErrorPage(title: string, message: string, viewer?: AdminViewer): string {
  const body = html`<h1>${title}</h1>\n<p>${message}</p>\n<p><a href="${viewer ? ADMIN_PATHS.home : ADMIN_PATHS.login}">${viewer ? 'Back to the dashboard' : 'Sign in'}</a></p>`;
  return viewer ? adminLayout(title, viewer, body) : adminPublicLayout(title, body);
}
