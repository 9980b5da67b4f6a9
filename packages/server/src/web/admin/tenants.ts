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
}

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
${settings}`,
  );
}
