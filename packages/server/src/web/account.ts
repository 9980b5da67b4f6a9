import type { AccountPageModel, ConnectedApplication } from '../core/account.js';
import { MIN_PASSWORD_LENGTH } from '../core/password.js';
import { html } from './html.js';
import { CSRF_FIELD, layout } from './pages.js';

/**
 * The end user's /account pages (server/routes/account.ts): the sign-in form (as on the
 * authorization login page) and the account itself — connected applications with a
 * Revoke button each, the password change form, and Sign out. Plain forms, no script,
 * every form carrying the CSRF token; served with PAGE_SECURITY_HEADERS.
 */

export const ACCOUNT_PATH = '/account';
export const ACCOUNT_LOGIN_PATH = '/account/login';
export const ACCOUNT_REVOKE_PATH = '/account/revoke';
export const ACCOUNT_PASSWORD_PATH = '/account/password';
export const ACCOUNT_LOGOUT_PATH = '/account/logout';

/** The confirmations shown after a form's redirect (`?notice=`): a closed set, nothing reflected. */
export const ACCOUNT_NOTICES = {
  revoked: 'Access revoked: the application can no longer use your account.',
  password: 'Password changed. You were signed out everywhere else.',
  'signed-out': 'You are signed out.',
} as const;
export type AccountNotice = keyof typeof ACCOUNT_NOTICES;

export function isAccountNotice(value: string | undefined): value is AccountNotice {
  return value !== undefined && Object.hasOwn(ACCOUNT_NOTICES, value);
}

export interface AccountSignInPageInput {
  csrfToken: string;
  error?: string;
  username?: string;
  notice?: AccountNotice;
}

export function accountSignInPage({ csrfToken, error, username, notice }: AccountSignInPageInput): string {
  return layout(
    'Sign in',
    html`<h1>Sign in</h1>
<p>Sign in to see the applications connected to your account.</p>
${notice ? html`<p class="muted" role="status">${ACCOUNT_NOTICES[notice]}</p>` : ''}
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form method="post" action="${ACCOUNT_LOGIN_PATH}">
<input type="hidden" name="${CSRF_FIELD}" value="${csrfToken}">
<label for="username">Username</label>
<input type="text" id="username" name="username" autocomplete="username" required value="${username ?? ''}">
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>`,
  );
}

export interface AccountPageInput extends AccountPageModel {
  csrfToken: string;
  notice?: AccountNotice;
  /** The problem of a rejected password change. */
  passwordError?: string;
}

/** A time as the page shows it: UTC, to the minute (the page has no script to localise it). */
export function formatTime(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function application(app: ConnectedApplication, csrfToken: string) {
  return html`<section class="application">
<h3>${app.clientName}</h3>
${app.organisation ? html`<p class="muted">Registered by ${app.organisation}</p>` : ''}
${app.scopes.length > 0
    ? html`<ul>${app.scopes.map((scope) => html`<li><strong>${scope.name}</strong>${scope.description ? html` — ${scope.description}` : ''}</li>`)}</ul>`
    : html`<p>No particular permission.</p>`}
${app.tenants.length > 0 ? html`<p>Workspaces: ${app.tenants.map((tenant, index) => html`${index > 0 ? ', ' : ''}<strong>${tenant.name}</strong>`)}</p>` : ''}
<p class="muted">Granted ${formatTime(app.grantedAt)} · last used ${app.lastUsedAt === null ? 'never' : formatTime(app.lastUsedAt)}</p>
<form method="post" action="${ACCOUNT_REVOKE_PATH}">
<input type="hidden" name="${CSRF_FIELD}" value="${csrfToken}">
<input type="hidden" name="client_id" value="${app.clientId}">
<button type="submit">Revoke access of ${app.clientName}</button>
</form>
</section>`;
}

export function accountPage({ username, applications, csrfToken, notice, passwordError }: AccountPageInput): string {
  return layout(
    'Your account',
    html`<h1>Your account</h1>
<p>Signed in as <strong>${username}</strong>.</p>
${notice ? html`<p class="muted" role="status">${ACCOUNT_NOTICES[notice]}</p>` : ''}
<h2>Connected applications</h2>
${applications.length === 0 ? html`<p>No application has access to your account.</p>` : applications.map((app) => application(app, csrfToken))}
<h2>Change your password</h2>
${passwordError ? html`<p class="error" role="alert">${passwordError}</p>` : ''}
<form method="post" action="${ACCOUNT_PASSWORD_PATH}">
<input type="hidden" name="${CSRF_FIELD}" value="${csrfToken}">
<input type="text" name="username" autocomplete="username" value="${username}" hidden>
<label for="current_password">Current password</label>
<input type="password" id="current_password" name="current_password" autocomplete="current-password" required>
<label for="new_password">New password (at least ${MIN_PASSWORD_LENGTH} characters)</label>
<input type="password" id="new_password" name="new_password" autocomplete="new-password" required minlength="${MIN_PASSWORD_LENGTH}">
<label for="new_password_again">New password again</label>
<input type="password" id="new_password_again" name="new_password_again" autocomplete="new-password" required minlength="${MIN_PASSWORD_LENGTH}">
<button type="submit">Change password</button>
</form>
<h2>Sign out</h2>
<form method="post" action="${ACCOUNT_LOGOUT_PATH}">
<input type="hidden" name="${CSRF_FIELD}" value="${csrfToken}">
<button type="submit">Sign out</button>
</form>`,
    { wide: true },
  );
}
