import { formatDuration } from '../../core/duration.js';
import { html } from '../html.js';
import { ADMIN_PATH, actionButton, adminLayout, csrfInput, formatTime, searchForm, statusBadge, table, tenantPath, type FlashKey, type Viewer } from './common.js';

/** A tenant as the dashboard shows it. */
export interface TenantView {
  slug: string;
  name: string;
  /** Seconds; null: the server default. */
  accessTokenTtl: number | null;
  disabled: boolean;
  createdAt: number;
  branding: { accent: string | null; termsUrl: string | null; privacyUrl: string | null; logoUrl: string | null };
}

/** An admin account (operator or tenant admin) as the dashboard lists it. */
export interface AdminAccountView {
  username: string;
  mfaEnabled: boolean;
  disabled: boolean;
  lastSignInAt: number | null;
}

/** The accent the colour picker shows when the tenant has none (the picker always has a value). */
export const DEFAULT_PICKER_ACCENT = '#0b6bcb';

export interface TenantListModel {
  viewer: Viewer;
  /** The tenants matching `query`. */
  tenants: TenantView[];
  query: string;
  /** How many tenants there are in all (to tell "no match" from "none yet"). */
  total: number;
  flash?: FlashKey | undefined;
  /** A refused create, with what was typed. */
  error?: string | undefined;
  form?: { slug: string; name: string } | undefined;
}

export function tenantListPage(model: TenantListModel): string {
  const { viewer, tenants, query } = model;
  const rows = tenants.map(
    (tenant) => html`<tr><td><a href="${tenantPath(tenant.slug)}">${tenant.name}</a></td><td><code>${tenant.slug}</code></td><td>${statusBadge(tenant.disabled)}</td><td class="nowrap">${formatTime(tenant.createdAt)}</td></tr>`,
  );
  return adminLayout(
    { title: 'Tenants', viewer, section: 'tenants', crumbs: [{ label: 'Dashboard', href: ADMIN_PATH }, { label: 'Tenants' }], flash: model.flash, error: model.error },
    html`${searchForm(`${ADMIN_PATH}/tenants`, query, 'Search tenants by name or slug')}
${table('Tenants', ['Name', 'Slug', 'Status', 'Created'], rows, model.total === 0 ? 'No tenant yet: create the first one below.' : 'No tenant matches the search.')}
<h2 id="new-tenant">New tenant</h2>
<form method="post" action="${ADMIN_PATH}/tenants" class="stacked">
${csrfInput(viewer)}
<label for="tenant-slug">Slug</label>
<input type="text" id="tenant-slug" name="slug" required maxlength="63" aria-describedby="tenant-slug-hint" value="${model.form?.slug ?? ''}">
<p class="hint" id="tenant-slug-hint">Lowercase letters, digits and inner hyphens; it appears in URLs and never changes.</p>
<label for="tenant-name">Name</label>
<input type="text" id="tenant-name" name="name" maxlength="200" value="${model.form?.name ?? ''}">
<div class="actions"><button type="submit">Create tenant</button></div>
</form>`,
  );
}

export interface TenantPageModel {
  viewer: Viewer;
  tenant: TenantView;
  /** The deployment's default access token lifetime (seconds), shown when the tenant has none. */
  defaultAccessTokenTtl: number;
  counts: { clients: number; scopes: number; users: number };
  flash?: FlashKey | undefined;
  error?: string | undefined;
  /** A refused update, with what was typed. */
  form?: { name: string; accessTokenTtl: string } | undefined;
  admins: AdminAccountView[];
  /** A refused admin creation: its message and the username typed (never the password). */
  adminForm?: { error: string; username: string } | undefined;
  /** A refused branding change: its message and what was typed. */
  brandingForm?: { error: string; accent: string; termsUrl: string; privacyUrl: string } | undefined;
  /** A refused logo upload: its message. */
  logoForm?: { error: string } | undefined;
}

/** A tenant's home: its sections, its settings (name, lifetime) and, for operators, disable/enable. */
export function tenantPage(model: TenantPageModel): string {
  const { viewer, tenant, counts } = model;
  const crumbs = viewer.operator
    ? [{ label: 'Dashboard', href: ADMIN_PATH }, { label: 'Tenants', href: `${ADMIN_PATH}/tenants` }, { label: tenant.slug }]
    : [{ label: 'Dashboard', href: ADMIN_PATH }, { label: tenant.slug }];
  const ttl = tenant.accessTokenTtl === null ? `${formatDuration(model.defaultAccessTokenTtl)} (server default)` : formatDuration(tenant.accessTokenTtl);
  const settings = html`<h2>Settings</h2>
<form method="post" action="${tenantPath(tenant.slug)}" class="stacked">
${csrfInput(viewer)}
<label for="tenant-name">Name</label>
<input type="text" id="tenant-name" name="name" required maxlength="200" value="${model.form?.name ?? tenant.name}">
<label for="tenant-ttl">Access token lifetime</label>
<input type="text" id="tenant-ttl" name="access_token_ttl" aria-describedby="tenant-ttl-hint" value="${model.form?.accessTokenTtl ?? (tenant.accessTokenTtl === null ? '' : formatDuration(tenant.accessTokenTtl))}">
<p class="hint" id="tenant-ttl-hint">For example 15m or 1h; empty: the server default (${formatDuration(model.defaultAccessTokenTtl)}).</p>
<div class="actions"><button type="submit">Save</button></div>
</form>
${
  !viewer.operator
    ? ''
    : tenant.disabled
    ? html`<h2>Status</h2><p>This tenant is disabled: its clients cannot get tokens.</p>${actionButton(viewer, tenantPath(tenant.slug, '/enable'), 'Enable tenant', { kind: 'primary', inline: false })}`
    : html`<h2>Status</h2><p>Disabling the tenant stops its clients from getting tokens and revokes the tokens they hold.</p>${actionButton(viewer, tenantPath(tenant.slug, '/disable'), 'Disable tenant', { kind: 'danger', inline: false })}`
}`;
  return adminLayout(
    { title: tenant.name, viewer, section: viewer.operator ? 'tenants' : 'tenant', crumbs, flash: model.flash, error: model.error },
    html`<dl class="facts">
<dt>Slug</dt><dd><code>${tenant.slug}</code></dd>
<dt>Status</dt><dd>${statusBadge(tenant.disabled)}</dd>
<dt>Access token lifetime</dt><dd>${ttl}</dd>
<dt>Created</dt><dd>${formatTime(tenant.createdAt)}</dd>
</dl>
<h2>Manage</h2>
<ul class="sections">
<li><a href="${tenantPath(tenant.slug, '/clients')}">API clients</a> (${counts.clients})</li>
<li><a href="${tenantPath(tenant.slug, '/scopes')}">Scopes</a> (${counts.scopes})</li>
<li><a href="${tenantPath(tenant.slug, '/users')}">Users</a> (${counts.users})</li>
<li><a href="${ADMIN_PATH}/audit?tenant=${encodeURIComponent(tenant.slug)}">Audit log</a></li>
</ul>
${settings}
${adminsSection(model)}
${brandingSection(model)}`,
  );
}

function adminsSection(model: TenantPageModel) {
  const { viewer, tenant } = model;
  const self = (admin: AdminAccountView) => admin.username.toLowerCase() === viewer.username.toLowerCase();
  const adminPath = (admin: AdminAccountView, action: string) => tenantPath(tenant.slug, `/admins/${encodeURIComponent(admin.username)}/${action}`);
  const rows = model.admins.map(
    (admin) => html`<tr><td>${admin.username}${self(admin) ? html` <span class="muted small">(you)</span>` : ''}</td><td>${admin.mfaEnabled ? html`<span class="badge ok">on</span>` : html`<span class="badge warn">off</span>`}</td><td>${statusBadge(admin.disabled)}</td><td class="nowrap">${admin.lastSignInAt === null ? 'never' : formatTime(admin.lastSignInAt)}</td><td class="nowrap">${
      self(admin)
        ? html`<span class="muted small">—</span>`
        : html`${admin.disabled ? actionButton(viewer, adminPath(admin, 'enable'), 'Enable') : actionButton(viewer, adminPath(admin, 'disable'), 'Disable')} ${actionButton(viewer, adminPath(admin, 'delete'), 'Delete', { kind: 'danger' })}`
    }</td></tr>`,
  );
  return html`<h2 id="admins">Tenant admins</h2>
<p>People who sign in to this dashboard to manage this tenant (and nothing else).</p>
${table('Tenant admins', ['Username', 'Two-step', 'Status', 'Last sign-in', 'Actions'], rows, 'No tenant admin yet.')}
<h3 id="new-admin">New tenant admin</h3>
${model.adminForm ? html`<p class="notice error" role="alert">${model.adminForm.error}</p>` : ''}
<form method="post" action="${tenantPath(tenant.slug, '/admins')}" class="stacked">
${csrfInput(viewer)}
<label for="admin-username">Username</label>
<input type="text" id="admin-username" name="username" required maxlength="64" autocomplete="off" value="${model.adminForm?.username ?? ''}">
<label for="admin-password">Initial password</label>
<input type="password" id="admin-password" name="password" required autocomplete="new-password" aria-describedby="admin-password-hint">
<label for="admin-password-again">Initial password, again</label>
<input type="password" id="admin-password-again" name="password_again" required autocomplete="new-password">
<p class="hint" id="admin-password-hint">Give it to the person by a separate channel (not in the same message as the username). At their first sign-in they should turn on two-step verification (Dashboard → Two-step verification); an operator can set a new password with <code>gatehouse admin reset-password</code>.</p>
<div class="actions"><button type="submit">Create tenant admin</button></div>
</form>`;
}

function brandingSection(model: TenantPageModel) {
  const { viewer, tenant } = model;
  const typed = model.brandingForm;
  const accent = typed?.accent ?? tenant.branding.accent ?? '';
  const picker = /^#[0-9a-f]{6}$/i.test(accent) ? accent.toLowerCase() : DEFAULT_PICKER_ACCENT;
  return html`<h2 id="branding">Branding</h2>
<p>How this tenant's sign-in and consent pages look. Empty fields use the deployment's defaults.</p>
${typed ? html`<p class="notice error" role="alert">${typed.error}</p>` : ''}
<form method="post" action="${tenantPath(tenant.slug, '/branding')}" class="stacked">
${csrfInput(viewer)}
<input type="hidden" name="accent_was" value="${tenant.branding.accent ?? ''}">
<label for="branding-accent">Accent colour</label>
<input type="text" id="branding-accent" name="accent" maxlength="7" placeholder="#0b6bcb" spellcheck="false" aria-describedby="branding-accent-hint" value="${accent}">
<label for="branding-accent-picker">Or pick it</label>
<input type="color" id="branding-accent-picker" name="accent_picker" value="${picker}">
<p class="hint" id="branding-accent-hint">As #rrggbb: primary buttons, links and focus rings. The text field wins when you change it; empty it to use the deployment's colour.</p>
<label for="branding-terms">Terms URL</label>
<input type="url" id="branding-terms" name="terms_url" maxlength="2000" placeholder="https://" value="${typed?.termsUrl ?? tenant.branding.termsUrl ?? ''}">
<label for="branding-privacy">Privacy URL</label>
<input type="url" id="branding-privacy" name="privacy_url" maxlength="2000" placeholder="https://" value="${typed?.privacyUrl ?? tenant.branding.privacyUrl ?? ''}">
<div class="actions"><button type="submit">Save branding</button></div>
</form>
${logoSection(model)}`;
}

/** The logo: shown when set (with its removal), and its upload (a multipart form: csrf_token before the file, guard.ts). */
function logoSection(model: TenantPageModel) {
  const { viewer, tenant } = model;
  const logoUrl = tenant.branding.logoUrl;
  return html`<h3 id="logo">Logo</h3>
${model.logoForm ? html`<p class="notice error" role="alert">${model.logoForm.error}</p>` : ''}
${
  logoUrl === null
    ? html`<p class="muted">No logo: the pages show the tenant's name.</p>`
    : html`<p><img src="${logoUrl}" alt="${tenant.name} logo" height="48"></p>
${actionButton(viewer, tenantPath(tenant.slug, '/branding/logo/remove'), 'Remove logo', { kind: 'danger', inline: false })}`
}
<form method="post" action="${tenantPath(tenant.slug, '/branding/logo')}" enctype="multipart/form-data" class="stacked">
${csrfInput(viewer)}
<label for="branding-logo">Logo</label>
<input type="file" id="branding-logo" name="logo" required accept="image/png,image/jpeg,image/webp,image/svg+xml" aria-describedby="branding-logo-hint">
<p class="hint" id="branding-logo-hint">PNG, JPEG, WebP or SVG, at most 256 KiB. It replaces the current logo on the tenant's sign-in and consent pages.</p>
<div class="actions"><button type="submit">Upload logo</button></div>
</form>`;
}

/** /admin/operators: the operator accounts (read-only; they are managed with `gatehouse admin`). */
export function operatorsPage(viewer: Viewer, operators: AdminAccountView[]): string {
  const rows = operators.map(
    (account) => html`<tr><td>${account.username}${account.username.toLowerCase() === viewer.username.toLowerCase() ? html` <span class="muted small">(you)</span>` : ''}</td><td>${account.mfaEnabled ? html`<span class="badge ok">on</span>` : html`<span class="badge warn">off</span>`}</td><td>${statusBadge(account.disabled)}</td><td class="nowrap">${account.lastSignInAt === null ? 'never' : formatTime(account.lastSignInAt)}</td></tr>`,
  );
  return adminLayout(
    { title: 'Operators', viewer, crumbs: [{ label: 'Dashboard', href: ADMIN_PATH }, { label: 'Operators' }] },
    html`<p>Operators manage every tenant and the deployment's signing keys. They are created, reset and disabled on the server with <code>gatehouse admin</code>.</p>
${table('Operators', ['Username', 'Two-step', 'Status', 'Last sign-in'], rows, 'No operator account.')}`,
  );
}
