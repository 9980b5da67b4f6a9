import type { AuthorizationPage, ConsentPageModel, LoginPageModel } from '../core/authorize/steps.js';
import { STYLESHEET_PATH } from './assets.js';
import { html, type SafeHtml } from './html.js';

/**
 * The pages of the authorization flow, server-rendered, usable without JavaScript (plain
 * forms), each form carrying the session's CSRF token. Served with PAGE_SECURITY_HEADERS.
 */

/** No inline script or style, no framing, forms post to this origin only, no <base>. */
export const PAGE_CSP = "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export const PAGE_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': PAGE_CSP,
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'content-type': 'text/html; charset=utf-8',
});

/**
 * The headers of a page whose form may end in a redirect to the client (the login and
 * consent pages). Browsers apply `form-action` to every redirect that follows the form
 * post (CSP 3; Chromium blocks the navigation), so the redirect URI's origin must be
 * allowed too, else the user never gets back to the application. An http(s) origin is
 * allowed as itself when it is a plain host-source; anything else (a private-use scheme,
 * RFC 8252 §7.1; an IPv6 literal, which CSP host-sources cannot express) by its scheme.
 */
export function pageSecurityHeadersFor(redirectUri: string): Readonly<Record<string, string>> {
  const url = new URL(redirectUri);
  const source = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/.test(url.origin) ? url.origin : url.protocol;
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:(\/\/[A-Za-z0-9.-]+(:\d{1,5})?)?$/.test(source)) return PAGE_SECURITY_HEADERS;
  return { ...PAGE_SECURITY_HEADERS, 'content-security-policy': PAGE_CSP.replace("form-action 'self'", `form-action 'self' ${source}`) };
}

/** Form field names shared with the routes. */
export const CSRF_FIELD = 'csrf_token';
export const LOGIN_PATH = '/oauth/authorize/login';
export const CONSENT_PATH = '/oauth/authorize/consent';

/** The page around a body: the stylesheet, no script; `wide` for pages of reading rather than forms. */
export function layout(title: string, body: SafeHtml, { wide = false }: { wide?: boolean } = {}): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
</head>
<body><main${wide ? html` class="wide"` : ''}>
${body}
</main></body>
</html>
`.toString();
}

export type LoginPageInput = LoginPageModel;

export function loginPage({ clientName, csrfToken, error, username }: LoginPageInput): string {
  return layout(
    'Sign in',
    html`<h1>Sign in</h1>
<p><strong>${clientName}</strong> wants to access your account.</p>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form method="post" action="${LOGIN_PATH}">
<input type="hidden" name="${CSRF_FIELD}" value="${csrfToken}">
<label for="username">Username</label>
<input type="text" id="username" name="username" autocomplete="username" required value="${username ?? ''}">
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>`,
  );
}

export type ConsentPageInput = ConsentPageModel;

export function consentPage(input: ConsentPageInput): string {
  const { clientName, redirectHost, username, scopes, tenants, checkedTenants, csrfToken, error } = input;
  const scopeList =
    scopes.length === 0
      ? html`<p>No particular permission is requested.</p>`
      : html`<ul>${scopes.map((scope) => html`<li><strong>${scope.name}</strong>${scope.description ? html` — ${scope.description}` : ''}</li>`)}</ul>`;
  const tenantPart =
    tenants.length > 1
      ? html`<fieldset><legend>Workspaces it may reach</legend>
${tenants.map((tenant) => html`<div><input type="checkbox" id="tenant-${tenant.slug}" name="tenant" value="${tenant.slug}"${checkedTenants.includes(tenant.slug) ? html` checked` : ''}> <label for="tenant-${tenant.slug}">${tenant.slug}</label></div>`)}
</fieldset>`
      : tenants.length === 1
        ? html`<p>Workspace: <strong>${tenants[0]!.slug}</strong></p>`
        : '';
  return layout(
    'Authorize access',
    html`<h1>Authorize ${clientName}</h1>
<p><strong>${clientName}</strong> (redirecting to <strong>${redirectHost}</strong>) asks to access your account <strong>${username}</strong>:</p>
${scopeList}
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form method="post" action="${CONSENT_PATH}">
<input type="hidden" name="${CSRF_FIELD}" value="${csrfToken}">
${tenantPart}
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>`,
  );
}

export function errorPage(title: string, message: string): string {
  return layout(title, html`<h1>${title}</h1>\n<p>${message}</p>\n<p class="muted">You can close this page, or go back to the application and try again.</p>`);
}

/** The page a step of the authorization flow (core/authorize/flow.ts) asks for. */
export function renderAuthorizationPage(view: AuthorizationPage): string {
  if (view.page === 'login') return loginPage(view.model);
  if (view.page === 'consent') return consentPage(view.model);
  return errorPage(view.model.title, view.model.message);
}
