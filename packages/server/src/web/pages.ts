import type { AuthorizationPage, ConsentPageModel, LoginPageModel } from '../core/authorize/steps.js';
import { html } from './html.js';
import { initial, layout } from './layout.js';
import type { Site, TenantAppearance } from './site.js';

/**
 * The pages of the authorization flow, server-rendered, usable without JavaScript (plain
 * forms), each form carrying the session's CSRF token. Served with PAGE_SECURITY_HEADERS.
 */

/** No inline script or style, images (logos) from this origin only, no framing, forms post to this origin only, no <base>. */
export const PAGE_CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

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

export { layout, type LayoutOptions } from './layout.js';

/** What the authorization pages wear: the deployment's site and the client's tenant. */
export interface PageAppearance {
  site?: Site;
  tenant?: TenantAppearance;
}

export type LoginPageInput = LoginPageModel;

export function loginPage({ clientName, csrfToken, error, username }: LoginPageInput, appearance: PageAppearance = {}): string {
  return layout(
    'Sign in',
    html`<p class="eyebrow">${appearance.tenant?.name ?? appearance.site?.productName ?? 'Gatehouse'}</p>
<h1>Sign in</h1>
<p class="lead"><strong>${clientName}</strong> wants to access your account.</p>
${error ? html`<p class="error" role="alert" id="login-error">${error}</p>` : ''}
<form method="post" action="${LOGIN_PATH}">
<input type="hidden" name="${CSRF_FIELD}" value="${csrfToken}">
<label for="username">Username</label>
<input type="text" id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${username ?? ''}"${error ? html` aria-invalid="true" aria-describedby="login-error"` : username ? '' : html` autofocus`}>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required${error ? html` aria-invalid="true" aria-describedby="login-error" autofocus` : ''}>
<button type="submit">Sign in</button>
</form>`,
    appearance,
  );
}

export type ConsentPageInput = ConsentPageModel;

export function consentPage(input: ConsentPageInput, appearance: PageAppearance = {}): string {
  const { clientName, registeredBy, redirectHost, username, scopes, tenants, checkedTenants, csrfToken, error } = input;
  const registrant =
    registeredBy.slug === null
      ? html`<p class="registrant">Registered by <strong>${registeredBy.name}</strong>, the operator of this service.</p>`
      : html`<p class="registrant${registeredBy.foreign ? ' warning' : ''}">Registered by the organisation <strong>${registeredBy.name}</strong>${
          registeredBy.name !== registeredBy.slug ? html` <span class="muted">(${registeredBy.slug})</span>` : ''
        }.${registeredBy.foreign ? html` You are not a member of this organisation: allow only if you trust it.` : ''}</p>`;
  const scopeList =
    scopes.length === 0
      ? html`<p class="muted">No particular permission is requested: only to know it is you.</p>`
      : html`<h2 id="scopes-heading">It will be able to</h2>
<ul class="scopes" aria-labelledby="scopes-heading">
${scopes.map((scope) => html`<li><strong>${scope.description || scope.name}</strong>${scope.description ? html`<code>${scope.name}</code>` : ''}</li>
`)}</ul>`;
  const tenantPart =
    tenants.length > 1
      ? html`<fieldset><legend>Workspaces it may reach</legend>
${tenants.map(
  (tenant) => html`<div class="check"><input type="checkbox" id="tenant-${tenant.slug}" name="tenant" value="${tenant.slug}"${checkedTenants.includes(tenant.slug) ? html` checked` : ''}> <label for="tenant-${tenant.slug}">${tenant.name}${
    tenant.name !== tenant.slug ? html`<span class="hint">${tenant.slug}</span>` : ''
  }</label></div>
`,
)}</fieldset>`
      : tenants.length === 1
        ? html`<p>Workspace: <strong>${tenants[0]!.name}</strong>${tenants[0]!.name !== tenants[0]!.slug ? html` <span class="muted">(${tenants[0]!.slug})</span>` : ''}</p>`
        : '';
  return layout(
    'Authorize access',
    html`<div class="request"><span class="app-mark" aria-hidden="true">${initial(clientName)}</span><div><p class="eyebrow">Access request</p>
<h1>Authorize ${clientName}</h1></div></div>
<p class="lead"><strong>${clientName}</strong> (redirecting to <strong>${redirectHost}</strong>) asks to access your account <strong>${username}</strong>.</p>
${registrant}
${scopeList}
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form method="post" action="${CONSENT_PATH}">
<input type="hidden" name="${CSRF_FIELD}" value="${csrfToken}">
${tenantPart}
<div class="actions">
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</div>
</form>
<p class="fine-print">Allow only applications you trust. After you allow, you go back to ${clientName} at ${redirectHost}.</p>`,
    appearance,
  );
}

export function errorPage(title: string, message: string, appearance: PageAppearance = {}): string {
  return layout(
    title,
    html`<p class="eyebrow">Something stopped this request</p>
<h1>${title}</h1>
<p class="error" role="alert">${message}</p>
<p class="muted">You can close this page, or go back to the application and try again.</p>`,
    appearance,
  );
}

/** The page a step of the authorization flow (core/authorize/flow.ts) asks for. */
export function renderAuthorizationPage(view: AuthorizationPage, appearance: PageAppearance = {}): string {
  if (view.page === 'login') return loginPage(view.model, appearance);
  if (view.page === 'consent') return consentPage(view.model, appearance);
  return errorPage(view.model.title, view.model.message, { site: appearance.site });
}
