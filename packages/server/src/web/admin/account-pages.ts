import type { AdminLoginPageModel, AdminSecondFactorPageModel, AdminSignInPage } from '../../core/admin/sign-in.js';
import { html } from '../html.js';
import { CSRF_FIELD } from '../pages.js';
import { formatTime } from './common.js';
import { ADMIN_PATHS, adminErrorPage, adminLayout, adminPublicLayout, adminSections, csrfField, describeRole, type AdminViewer } from './layout.js';

/** The dashboard's own pages: sign-in, second factor, home, and the account's two-step verification. */

export function adminLoginPage({ csrfToken, error, username }: AdminLoginPageModel): string {
  return adminPublicLayout(
    'Sign in',
    html`<h1>Gatehouse admin</h1>
<p>Sign in with your operator or tenant admin account.</p>
${error ? html`<p class="notice error" role="alert">${error}</p>` : ''}
<form method="post" action="${ADMIN_PATHS.login}">
<input type="hidden" name="${CSRF_FIELD}" value="${csrfToken}">
<label for="username">Username</label>
<input type="text" id="username" name="username" autocomplete="username" required value="${username ?? ''}" autofocus>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>`,
  );
}

export function adminSecondFactorPage({ csrfToken, username, error }: AdminSecondFactorPageModel): string {
  return adminPublicLayout(
    'Two-step verification',
    html`<h1>Two-step verification</h1>
<p>Signing in as <strong>${username}</strong>. Enter the 6-digit code your authenticator app shows, or one of your recovery codes.</p>
${error ? html`<p class="notice error" role="alert">${error}</p>` : ''}
<form method="post" action="${ADMIN_PATHS.secondFactor}">
<input type="hidden" name="${CSRF_FIELD}" value="${csrfToken}">
<label for="code">Code</label>
<input type="text" id="code" name="code" autocomplete="one-time-code" inputmode="text" required autofocus spellcheck="false">
<button type="submit">Verify</button>
</form>
<p class="muted"><a href="${ADMIN_PATHS.login}">Start again</a></p>`,
  );
}

/** The page a step of the admin sign-in (core/admin/sign-in.ts) asks for. */
export function renderAdminSignInPage(view: AdminSignInPage): string {
  if (view.page === 'login') return adminLoginPage(view.model);
  if (view.page === 'second-factor') return adminSecondFactorPage(view.model);
  return adminErrorPage(view.model.title, view.model.message);
}

export interface AdminHomeModel {
  mfaEnabled: boolean;
  lastSignInAt: number | null;
}

export function adminHomePage(viewer: AdminViewer, model: AdminHomeModel): string {
  const sections = adminSections(viewer.principal);
  return adminLayout(
    'Dashboard',
    viewer,
    html`<p class="lead">You are signed in as <strong>${viewer.username}</strong>, ${describeRole(viewer.principal)}.</p>
<ul class="cards">
${sections.map((section) => html`<li><a href="${section.href}"><strong>${section.label}</strong></a><br><span class="muted">${section.description}</span></li>`)}
</ul>
<h2>Your account</h2>
<dl class="facts">
<dt>Username</dt><dd>${viewer.username}</dd>
<dt>Role</dt><dd>${describeRole(viewer.principal)}</dd>
<dt>Two-step verification</dt><dd>${model.mfaEnabled ? 'on' : 'off'} — <a href="${ADMIN_PATHS.mfa}">${model.mfaEnabled ? 'manage' : 'turn it on'}</a></dd>
${model.lastSignInAt !== null ? html`<dt>Last sign-in</dt><dd>${formatTime(model.lastSignInAt)}</dd>` : ''}
</dl>`,
  );
}

export interface MfaEnrolModel {
  /** Base32, shown in groups of four. */
  secret: string;
  uri: string;
  /** The sealed enrolment the confirmation form carries back. */
  enrolment: string;
  error?: string;
}

export interface MfaStatusModel {
  enabled: boolean;
  recoveryCodesLeft: number;
  enrol?: MfaEnrolModel;
  /** A problem with the disable form. */
  error?: string;
}

const ACCOUNT_CRUMBS = [{ label: 'Dashboard', href: ADMIN_PATHS.home }, { label: 'Two-step verification' }];

/** /admin/account/mfa: the enrolment (secret, URI, first code) when off; recovery codes left and the disable form when on. */
export function adminMfaPage(viewer: AdminViewer, model: MfaStatusModel): string {
  const body = model.enabled
    ? html`<p>Two-step verification is <strong>on</strong>: signing in asks for a code of your authenticator app after your password. ${model.recoveryCodesLeft} unused recovery code(s) left.</p>
<h2>Turn it off</h2>
<p>Confirm with a current code (or a recovery code), or with your password.</p>
${model.error ? html`<p class="notice error" role="alert">${model.error}</p>` : ''}
<form method="post" action="${ADMIN_PATHS.mfaDisable}">
${csrfField(viewer.csrfToken)}
<label for="code">Code</label>
<input type="text" id="code" name="code" autocomplete="one-time-code" spellcheck="false">
<label for="password">Or your password</label>
<input type="password" id="password" name="password" autocomplete="current-password">
<button type="submit">Turn off two-step verification</button>
</form>`
    : enrolPart(viewer, model.enrol!);
  return adminLayout(model.enabled ? 'Two-step verification' : 'Turn on two-step verification', viewer, body, ACCOUNT_CRUMBS);
}

function enrolPart(viewer: AdminViewer, enrol: MfaEnrolModel) {
  const grouped = enrol.secret.replace(/(.{4})(?=.)/g, '$1 ');
  return html`<p>Two-step verification is <strong>off</strong>. With it on, signing in also asks for a code from an authenticator app on your phone.</p>
<ol>
<li>In your authenticator app, add an account with this key (time-based, 6 digits, 30 seconds):
<p><code id="totp-secret">${grouped}</code></p>
<p class="muted">On this phone? <a href="${enrol.uri}">Open it in your authenticator app</a>.</p></li>
<li>Enter the code the app now shows.</li>
</ol>
${enrol.error ? html`<p class="notice error" role="alert">${enrol.error}</p>` : ''}
<form method="post" action="${ADMIN_PATHS.mfaEnrol}">
${csrfField(viewer.csrfToken)}
<input type="hidden" name="enrolment" value="${enrol.enrolment}">
<label for="code">Code from the app</label>
<input type="text" id="code" name="code" autocomplete="one-time-code" inputmode="numeric" pattern="[0-9 ]*" required spellcheck="false">
<button type="submit">Turn on</button>
</form>`;
}

/** Shown once, right after the enrolment: the recovery codes. */
export function adminRecoveryCodesPage(viewer: AdminViewer, codes: readonly string[]): string {
  return adminLayout(
    'Two-step verification is on',
    viewer,
    html`<p>Save these recovery codes somewhere safe now: <strong>they are shown only once</strong>. Each one signs you in once, in place of a code, if you lose your phone.</p>
<ol id="recovery-codes">
${codes.map((code) => html`<li><code>${code}</code></li>`)}
</ol>
<p><a href="${ADMIN_PATHS.home}">I have saved them — back to the dashboard</a></p>`,
    ACCOUNT_CRUMBS,
  );
}
