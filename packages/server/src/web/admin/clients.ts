import { formatDuration } from '../../core/duration.js';
import { html, type SafeHtml } from '../html.js';
import { ADMIN_PATH, actionButton, adminLayout, clientPath, csrfInput, formatTime, searchForm, statusBadge, table, tenantPath, type Crumb, type FlashKey, type Viewer } from './common.js';

/** A client as the dashboard shows it (never a secret or a digest). */
export interface ClientView {
  id: string;
  tenant: string;
  name: string;
  isPublic: boolean;
  resourceServer: boolean;
  grantTypes: string[];
  scopes: string[];
  redirectUris: string[];
  /** Seconds; null: the tenant's lifetime. */
  accessTokenTtl: number | null;
  disabled: boolean;
  createdAt: number;
  /** While a rotation's grace lasts: when the previous secret stops working (epoch ms). */
  previousSecretExpiresAt: number | null;
}

export interface ScopeOption {
  name: string;
  description: string;
}

/** The grant types a client may be given, with what each is for. */
export const GRANT_TYPE_OPTIONS: readonly { value: string; label: string; description: string }[] = [
  { value: 'client_credentials', label: 'Client credentials', description: 'Machine-to-machine: the client authenticates with its id and secret (confidential clients only).' },
  { value: 'authorization_code', label: 'Authorization code', description: 'A user signs in and consents; the client gets tokens on the user’s behalf (with PKCE).' },
  { value: 'refresh_token', label: 'Refresh token', description: 'Renews the user’s access without asking again (with authorization code).' },
  { value: 'implicit', label: 'Implicit (legacy)', description: 'Tokens in the redirect URI. Avoid unless an old client needs it.' },
];

/** What the New client form holds: the defaults, or what was typed when it was refused. */
export interface ClientFormValues {
  name: string;
  /** `confidential` (has a secret) or `public` (a browser or native app, no secret). */
  clientType: 'confidential' | 'public';
  scopes: string[];
  grantTypes: string[];
  /** One URI a line. */
  redirectUris: string;
  /** A duration ("15m", "1h"); empty: the tenant's lifetime. */
  accessTokenTtl: string;
  /** A resource server of the API provider; the form offers it to operators only. */
  resourceServer?: boolean;
}

export const NEW_CLIENT_DEFAULTS: ClientFormValues = Object.freeze({
  name: '',
  clientType: 'confidential',
  scopes: [],
  grantTypes: ['client_credentials'],
  redirectUris: '',
  accessTokenTtl: '',
});

const clientSection = (viewer: Viewer) => (viewer.operator ? 'tenants' : 'clients');

function tenantCrumbs(viewer: Viewer, tenant: string): Crumb[] {
  return viewer.operator
    ? [{ label: 'Dashboard', href: ADMIN_PATH }, { label: 'Tenants', href: `${ADMIN_PATH}/tenants` }, { label: tenant, href: tenantPath(tenant) }]
    : [{ label: 'Dashboard', href: ADMIN_PATH }, { label: tenant, href: tenantPath(tenant) }];
}

function clientsCrumbs(viewer: Viewer, tenant: string): Crumb[] {
  return [...tenantCrumbs(viewer, tenant), { label: 'API clients', href: tenantPath(tenant, '/clients') }];
}

export interface ClientListModel {
  viewer: Viewer;
  tenant: string;
  clients: ClientView[];
  query: string;
  total: number;
  flash?: FlashKey | undefined;
}

export function clientListPage(model: ClientListModel): string {
  const { viewer, tenant } = model;
  const rows = model.clients.map(
    (client) =>
      html`<tr><td><a href="${clientPath(tenant, client.id)}">${client.name}</a></td><td><code>${client.id}</code></td><td>${client.grantTypes.join(', ')}</td><td>${statusBadge(client.disabled)}</td></tr>`,
  );
  return adminLayout(
    { title: 'API clients', viewer, section: clientSection(viewer), crumbs: [...tenantCrumbs(viewer, tenant), { label: 'API clients' }], flash: model.flash },
    html`<div class="actions"><a class="button" href="${tenantPath(tenant, '/clients/new')}">New client</a></div>
${searchForm(tenantPath(tenant, '/clients'), model.query, 'Search clients by name or client id')}
${table('API clients', ['Name', 'Client id', 'Grant types', 'Status'], rows, model.total === 0 ? 'No API client yet.' : 'No client matches the search.')}`,
  );
}

/** A checkbox or radio row; the hint is inside the label, so it is read with it. */
function checkRow(row: { type: 'checkbox' | 'radio'; id: string; name: string; value: string; checked: boolean; label: SafeHtml | string; hint?: string }): SafeHtml {
  return html`<div class="check"><input type="${row.type}" id="${row.id}" name="${row.name}" value="${row.value}"${row.checked ? html` checked` : ''}>
<label for="${row.id}">${row.label}${row.hint ? html` <span class="hint">${row.hint}</span>` : ''}</label></div>`;
}

function scopeCheckboxes(catalogue: ScopeOption[], checked: string[]): SafeHtml {
  // Scopes the client holds that the catalogue no longer lists stay visible (and checked).
  const options = [...catalogue, ...checked.filter((name) => !catalogue.some((scope) => scope.name === name)).map((name) => ({ name, description: 'Not in the tenant’s scope catalogue.' }))];
  if (options.length === 0) return html`<p class="hint">This tenant has no scopes yet: add them under Scopes first, or create the client without scopes.</p>`;
  return html`${options.map(
    (scope, index) => checkRow({ type: 'checkbox', id: `scope-${index}`, name: 'scope', value: scope.name, checked: checked.includes(scope.name), label: html`<code>${scope.name}</code>`, hint: scope.description }),
  )}`;
}

function grantTypeCheckboxes(checked: string[]): SafeHtml {
  return html`<fieldset>
<legend>Grant types</legend>
${GRANT_TYPE_OPTIONS.map(
  (option) => checkRow({ type: 'checkbox', id: `grant-${option.value}`, name: 'grant_type', value: option.value, checked: checked.includes(option.value), label: option.label, hint: option.description }),
)}
</fieldset>`;
}

function ttlField(values: Pick<ClientFormValues, 'accessTokenTtl'>, tenantTtl: number): SafeHtml {
  return html`<label for="client-ttl">Access token lifetime</label>
<input type="text" id="client-ttl" name="access_token_ttl" aria-describedby="client-ttl-hint" value="${values.accessTokenTtl}">
<p class="hint" id="client-ttl-hint">For example 15m or 1h; empty: the tenant’s lifetime (${formatDuration(tenantTtl)}).</p>`;
}

function redirectUrisField(value: string): SafeHtml {
  return html`<label for="client-redirect-uris">Redirect URIs</label>
<textarea id="client-redirect-uris" name="redirect_uris" rows="3" aria-describedby="client-redirect-uris-hint">${value}</textarea>
<p class="hint" id="client-redirect-uris-hint">One a line; needed for the authorization code and implicit grants.</p>`;
}

export interface NewClientModel {
  viewer: Viewer;
  tenant: string;
  catalogue: ScopeOption[];
  values: ClientFormValues;
  /** The access token lifetime the tenant gives (seconds): the default. */
  tenantAccessTokenTtl: number;
  error?: string | undefined;
}

export function newClientPage(model: NewClientModel): string {
  const { viewer, tenant, values } = model;
  return adminLayout(
    { title: 'New client', viewer, section: clientSection(viewer), crumbs: [...clientsCrumbs(viewer, tenant), { label: 'New client' }], error: model.error },
    html`<form method="post" action="${tenantPath(tenant, '/clients/new')}" class="stacked">
${csrfInput(viewer)}
<label for="client-name">Name</label>
<input type="text" id="client-name" name="name" required maxlength="200" value="${values.name}" aria-describedby="client-name-hint">
<p class="hint" id="client-name-hint">Users see it on the consent page.</p>
<fieldset>
<legend>Client type</legend>
${checkRow({ type: 'radio', id: 'client-type-confidential', name: 'client_type', value: 'confidential', checked: values.clientType === 'confidential', label: 'Confidential', hint: 'A server that can keep a secret: gets a client secret.' })}
${checkRow({ type: 'radio', id: 'client-type-public', name: 'client_type', value: 'public', checked: values.clientType === 'public', label: 'Public', hint: 'A browser or native app: no secret, authorization code with PKCE.' })}
</fieldset>
<fieldset>
<legend>Scopes</legend>
<p class="hint">What the client may ask for; a token request that names no scope gets all of them.</p>
${scopeCheckboxes(model.catalogue, values.scopes)}
</fieldset>
${grantTypeCheckboxes(values.grantTypes)}
${redirectUrisField(values.redirectUris)}
${ttlField(values, model.tenantAccessTokenTtl)}
${viewer.operator ? resourceServerField(values.resourceServer ?? false) : ''}
<div class="actions"><button type="submit">Create client</button> <a class="button secondary" href="${tenantPath(tenant, '/clients')}">Cancel</a></div>
</form>`,
  );
}

/** Operators only (a tenant admin who sends the field anyway is refused, 403). */
function resourceServerField(checked: boolean): SafeHtml {
  return html`<fieldset>
<legend>Resource server</legend>
${checkRow({ type: 'checkbox', id: 'client-resource-server', name: 'resource_server', value: 'on', checked, label: 'A resource server of the API provider', hint: "Operators only: it introspects every tenant's tokens and reads the deployment-wide revocation feed. A confidential client." })}
</fieldset>`;
}

/** The script that makes the copy buttons work (served from 'self'); without it the secret is still selectable. */
export const COPY_SCRIPT_PATH = `${ADMIN_PATH}/assets/copy.js`;

/** Copy buttons start hidden; the script shows them and copies the field the button names. */
export const COPY_SCRIPT = `for (const button of document.querySelectorAll('button[data-copy]')) {
  const field = document.getElementById(button.dataset.copy);
  if (!field || !navigator.clipboard) continue;
  button.hidden = false;
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(field.value);
      button.textContent = 'Copied';
    } catch {
      field.select();
    }
  });
}
`;

function secretBox(id: string, label: string, value: string): SafeHtml {
  return html`<label for="${id}">${label}</label>
<div class="secret"><input type="text" id="${id}" readonly value="${value}" autocomplete="off" spellcheck="false">
<div class="actions"><button type="button" class="secondary" data-copy="${id}" hidden>Copy ${label.toLowerCase()}</button></div></div>`;
}

export interface SecretShownModel {
  viewer: Viewer;
  client: ClientView;
  /** Shown this once: only its digest is stored. */
  secret: string | undefined;
  /** Rotation only: until when the previous secret keeps working (epoch ms), or null when it stopped (its tokens revoked). */
  previousSecretExpiresAt?: number | null;
  /** The token endpoint, to say where the secret is used. */
  tokenEndpoint: string;
}

/**
 * The page after a create or a rotation: the client id and the secret, this once, with a
 * plain warning. It is the response to the POST itself (no redirect): the secret is never
 * in a URL, a cookie or storage, and `no-store` keeps it out of the browser's cache.
 */
export function secretShownPage(model: SecretShownModel, kind: 'created' | 'rotated'): string {
  const { viewer, client } = model;
  const title = kind === 'created' ? 'Client created' : 'New client secret';
  const previous =
    kind === 'rotated'
      ? model.previousSecretExpiresAt == null
        ? html`<p>The old secret no longer works, and every token issued with it has been revoked.</p>`
        : html`<p>The old secret keeps working until ${formatTime(model.previousSecretExpiresAt)}; update your application before then.</p>`
      : '';
  return adminLayout(
    { title, viewer, section: clientSection(viewer), crumbs: [...clientsCrumbs(viewer, client.tenant), { label: client.name, href: clientPath(client.tenant, client.id) }, { label: title }] },
    html`${secretBox('client-id', 'Client id', client.id)}
${
  model.secret === undefined
    ? html`<p>This is a public client: it has no secret.</p>`
    : html`<p class="notice warning" role="alert"><strong>Copy the client secret now: it will not be shown again.</strong> Gatehouse keeps only a digest of it. If you lose it, rotate the secret.</p>
${secretBox('client-secret', 'Client secret', model.secret)}`
}
${previous}
<p class="hint">Your application sends them to <code>${model.tokenEndpoint}</code> (HTTP Basic or the form fields <code>client_id</code> and <code>client_secret</code>).</p>
<div class="actions"><a class="button" href="${clientPath(client.tenant, client.id)}">Done</a></div>
<script src="${COPY_SCRIPT_PATH}" defer></script>`,
  );
}

export interface ClientPageModel {
  viewer: Viewer;
  client: ClientView;
  catalogue: ScopeOption[];
  tenantAccessTokenTtl: number;
  flash?: FlashKey | undefined;
  error?: string | undefined;
  /** A refused edit, with what was typed. */
  values?: Pick<ClientFormValues, 'name' | 'scopes' | 'grantTypes' | 'redirectUris' | 'accessTokenTtl'> | undefined;
}

/** The grace periods the rotation form offers (seconds). */
export const ROTATION_GRACE_OPTIONS: readonly number[] = [3600, 86_400, 7 * 86_400];
const GRACE_LABELS: Record<number, string> = { 3600: 'one hour', 86_400: 'one day', [7 * 86_400]: 'seven days' };

export function clientPage(model: ClientPageModel): string {
  const { viewer, client } = model;
  const values = model.values ?? {
    name: client.name,
    scopes: client.scopes,
    grantTypes: client.grantTypes,
    redirectUris: client.redirectUris.join('\n'),
    accessTokenTtl: client.accessTokenTtl === null ? '' : formatDuration(client.accessTokenTtl),
  };
  const ttl = client.accessTokenTtl === null ? `${formatDuration(model.tenantAccessTokenTtl)} (the tenant’s)` : formatDuration(client.accessTokenTtl);
  const rotate = client.isPublic
    ? ''
    : html`<h2 id="rotate">Rotate secret</h2>
${client.previousSecretExpiresAt !== null ? html`<p>A previous secret keeps working until ${formatTime(client.previousSecretExpiresAt)}.</p>` : ''}
<form method="post" action="${clientPath(client.tenant, client.id, '/rotate-secret')}" class="stacked">
${csrfInput(viewer)}
<fieldset>
<legend>The old secret</legend>
${checkRow({ type: 'radio', id: 'rotate-now', name: 'grace', value: '0', checked: true, label: 'Stop it now', hint: "For a compromised secret: the old secret stops working and the client's access tokens are revoked at once. Its refresh tokens survive (they cannot be used without the new secret), so its users need not sign in again." })}
${ROTATION_GRACE_OPTIONS.map((seconds) => checkRow({ type: 'radio', id: `rotate-grace-${seconds}`, name: 'grace', value: String(seconds), checked: false, label: `Keep it working for ${GRACE_LABELS[seconds] ?? formatDuration(seconds)}` }))}
<p class="hint">With a grace period, both secrets work until it ends and issued access tokens stay valid, so you can update your application first.</p>
</fieldset>
<div class="actions"><button type="submit" class="danger">Rotate secret</button></div>
</form>`;
  return adminLayout(
    { title: client.name, viewer, section: clientSection(viewer), crumbs: [...clientsCrumbs(viewer, client.tenant), { label: client.name }], flash: model.flash, error: model.error },
    html`<dl class="facts">
<dt>Client id</dt><dd><code>${client.id}</code></dd>
<dt>Type</dt><dd>${client.isPublic ? 'Public (no secret)' : 'Confidential'}${client.resourceServer ? ', resource server' : ''}</dd>
<dt>Status</dt><dd>${statusBadge(client.disabled)}</dd>
<dt>Grant types</dt><dd>${client.grantTypes.join(', ')}</dd>
<dt>Scopes</dt><dd>${client.scopes.length > 0 ? client.scopes.map((scope) => html`<code>${scope}</code> `) : html`<span class="muted">none</span>`}</dd>
<dt>Access token lifetime</dt><dd>${ttl}</dd>
<dt>Created</dt><dd>${formatTime(client.createdAt)}</dd>
</dl>
<h2>Edit</h2>
<form method="post" action="${clientPath(client.tenant, client.id)}" class="stacked">
${csrfInput(viewer)}
<label for="client-name">Name</label>
<input type="text" id="client-name" name="name" required maxlength="200" value="${values.name}">
<fieldset>
<legend>Scopes</legend>
${scopeCheckboxes(model.catalogue, values.scopes)}
</fieldset>
${grantTypeCheckboxes(values.grantTypes)}
${redirectUrisField(values.redirectUris)}
${ttlField(values, model.tenantAccessTokenTtl)}
<div class="actions"><button type="submit">Save</button></div>
</form>
${rotate}
<h2>Status</h2>
${
  client.disabled
    ? html`<p>This client is disabled: it cannot get tokens.</p>${actionButton(viewer, clientPath(client.tenant, client.id, '/enable'), 'Enable client', { kind: 'primary', inline: false })}`
    : html`<p>Disabling the client stops it from getting tokens and revokes the tokens it holds; you can enable it again.</p>${actionButton(viewer, clientPath(client.tenant, client.id, '/disable'), 'Disable client', { kind: 'danger', inline: false })}`
}
<h2>Delete</h2>
<p>Deleting the client revokes every token issued to it; it cannot be undone.</p>
<div class="actions"><a class="button danger" href="${clientPath(client.tenant, client.id, '/delete')}">Delete client…</a></div>`,
  );
}

export interface DeleteClientModel {
  viewer: Viewer;
  client: ClientView;
}

/** The confirmation step of a delete (a page, so no JavaScript is needed). */
export function deleteClientPage({ viewer, client }: DeleteClientModel): string {
  return adminLayout(
    { title: `Delete ${client.name}?`, viewer, section: clientSection(viewer), crumbs: [...clientsCrumbs(viewer, client.tenant), { label: client.name, href: clientPath(client.tenant, client.id) }, { label: 'Delete' }] },
    html`<p class="notice warning">The client <strong>${client.name}</strong> (<code>${client.id}</code>) will stop working at once: every token issued to it is revoked, and its id is never reused. This cannot be undone.</p>
<form method="post" action="${clientPath(client.tenant, client.id, '/delete')}">
${csrfInput(viewer)}
<div class="actions"><button type="submit" class="danger">Delete client</button> <a class="button secondary" href="${clientPath(client.tenant, client.id)}">Cancel</a></div>
</form>`,
  );
}
