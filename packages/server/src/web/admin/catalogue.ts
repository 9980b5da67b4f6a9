import { html } from '../html.js';
import { ADMIN_PATH, actionButton, formatApproxDuration, adminLayout, csrfInput, formatTime, searchForm, statusBadge, table, tenantPath, type Crumb, type FlashKey, type Viewer } from './common.js';

/** The dashboard pages of a tenant's scopes and users, and of the signing keys. */

function tenantCrumbs(viewer: Viewer, tenant: string, here: string): Crumb[] {
  const start: Crumb[] = viewer.operator ? [{ label: 'Dashboard', href: ADMIN_PATH }, { label: 'Tenants', href: `${ADMIN_PATH}/tenants` }] : [{ label: 'Dashboard', href: ADMIN_PATH }];
  return [...start, { label: tenant, href: tenantPath(tenant) }, { label: here }];
}

export interface ScopeListModel {
  viewer: Viewer;
  tenant: string;
  scopes: { name: string; description: string }[];
  flash?: FlashKey | undefined;
  error?: string | undefined;
  form?: { name: string; description: string } | undefined;
}

export function scopeListPage(model: ScopeListModel): string {
  const { viewer, tenant } = model;
  const action = tenantPath(tenant, '/scopes');
  const rows = model.scopes.map(
    (scope) => html`<tr><td><code>${scope.name}</code></td><td>${scope.description}</td><td class="actions">${actionButton(viewer, `${action}/delete`, 'Delete', { kind: 'danger', fields: { name: scope.name } })}</td></tr>`,
  );
  return adminLayout(
    { title: 'Scopes', viewer, section: viewer.operator ? 'tenants' : 'tenant', crumbs: tenantCrumbs(viewer, tenant, 'Scopes'), flash: model.flash, error: model.error },
    html`<p>The scopes clients of this tenant may be given, with the description users read on the consent page.</p>
${table('Scopes', ['Scope', 'Description', ''], rows, 'No scope yet.')}
<h2>Add or change a scope</h2>
<form method="post" action="${action}" class="stacked">
${csrfInput(viewer)}
<label for="scope-name">Scope</label>
<input type="text" id="scope-name" name="name" required maxlength="200" aria-describedby="scope-name-hint" value="${model.form?.name ?? ''}">
<p class="hint" id="scope-name-hint">For example documents:read. Saving an existing scope replaces its description.</p>
<label for="scope-description">Description</label>
<input type="text" id="scope-description" name="description" required maxlength="500" value="${model.form?.description ?? ''}">
<div class="actions"><button type="submit">Save scope</button></div>
</form>`,
  );
}

export interface UserListModel {
  viewer: Viewer;
  tenant: string;
  users: { username: string; tenants: string[]; disabled: boolean; createdAt: number }[];
  query: string;
  total: number;
  flash?: FlashKey | undefined;
  error?: string | undefined;
  form?: { username: string } | undefined;
}

export function userListPage(model: UserListModel): string {
  const { viewer, tenant } = model;
  const action = tenantPath(tenant, '/users');
  const rows = model.users.map(
    (user) =>
      html`<tr><td>${user.username}</td><td>${statusBadge(user.disabled)}</td><td class="nowrap">${formatTime(user.createdAt)}</td><td class="actions">${actionButton(viewer, `${action}/remove`, 'Remove from tenant', { kind: 'danger', fields: { username: user.username } })}</td></tr>`,
  );
  return adminLayout(
    { title: 'Users', viewer, section: viewer.operator ? 'tenants' : 'tenant', crumbs: tenantCrumbs(viewer, tenant, 'Users'), flash: model.flash, error: model.error },
    html`<p>The people who sign in to let applications reach this tenant.</p>
${searchForm(action, model.query, 'Search users')}
${table('Users', ['Username', 'Status', 'Created', ''], rows, model.total === 0 ? 'No user yet.' : 'No user matches the search.')}
<h2>Add a user</h2>
<form method="post" action="${action}" class="stacked">
${csrfInput(viewer)}
<label for="user-username">Username</label>
<input type="text" id="user-username" name="username" required autocomplete="off" value="${model.form?.username ?? ''}">
<label for="user-password">Password</label>
<input type="password" id="user-password" name="password" autocomplete="new-password" aria-describedby="user-password-hint">
<p class="hint" id="user-password-hint">For a new user: at least 10 characters. Leave it empty to add an existing user to this tenant.</p>
<div class="actions"><button type="submit">Add user</button></div>
</form>`,
  );
}

export interface KeyListModel {
  viewer: Viewer;
  keys: { kid: string; alg: string; active: boolean; createdAt: number; publishedUntil: number | null }[];
  algorithms: readonly string[];
  flash?: FlashKey | undefined;
  error?: string | undefined;
  /** How long a retired key stays published (seconds). */
  retention: number;
}

export function keyListPage(model: KeyListModel): string {
  const { viewer } = model;
  const rows = model.keys.map(
    (key) =>
      html`<tr><td><code>${key.kid}</code></td><td>${key.alg}</td><td>${key.active ? html`<span class="badge ok">active</span>` : html`retired, published until ${formatTime(key.publishedUntil ?? 0)}`}</td><td class="nowrap">${formatTime(key.createdAt)}</td><td class="actions">${
        key.active ? '' : actionButton(viewer, `${ADMIN_PATH}/keys/withdraw`, 'Withdraw', { kind: 'danger', fields: { kid: key.kid } })
      }</td></tr>`,
  );
  return adminLayout(
    { title: 'Signing keys', viewer, section: 'keys', crumbs: [{ label: 'Dashboard', href: ADMIN_PATH }, { label: 'Signing keys' }], flash: model.flash, error: model.error },
    html`<p>The keys that sign access tokens, as published in the JWKS. A retired key stays published for ${formatApproxDuration(model.retention)} so the tokens it signed can still be verified; withdraw it only when it is compromised (its tokens stop verifying at once).</p>
${table('Signing keys', ['Key id', 'Algorithm', 'State', 'Created', ''], rows, 'No signing key yet.')}
<h2>Rotate</h2>
<form method="post" action="${ADMIN_PATH}/keys/rotate" class="stacked">
${csrfInput(viewer)}
<label for="key-alg">Algorithm</label>
<select id="key-alg" name="alg">${model.algorithms.map((alg, index) => html`<option value="${alg}"${index === 0 ? html` selected` : ''}>${alg}</option>`)}</select>
<div class="actions"><button type="submit">Activate a new key</button></div>
</form>`,
  );
}
