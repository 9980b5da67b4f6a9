/**
 * The dashboard's render functions (web/admin/*) on their page models, without HTTP:
 * labelled fields, CSRF tokens on every form, the secret shown once with its warning, no
 * inline script or style, and nothing a model carries becomes markup.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { auditPage } from '../../packages/server/src/web/admin/audit.js';
import { keyListPage, scopeListPage, userListPage } from '../../packages/server/src/web/admin/catalogue.js';
import { clientListPage, clientPage, deleteClientPage, newClientPage, NEW_CLIENT_DEFAULTS, secretShownPage, type ClientView } from '../../packages/server/src/web/admin/clients.js';
import { FLASH_MESSAGES, isFlashKey, type Viewer } from '../../packages/server/src/web/admin/common.js';
import { operatorsPage, tenantListPage, tenantPage, type TenantView } from '../../packages/server/src/web/admin/tenants.js';

const CSRF = 'csrf-token-value-123';
const operator: Viewer = { username: 'olivia', operator: true, csrfToken: CSRF };
const tenantAdmin: Viewer = { username: 'tom', operator: false, tenant: 'acme', csrfToken: CSRF };

const tenant: TenantView = { slug: 'acme', name: 'Acme <Docs>', accessTokenTtl: null, disabled: false, createdAt: Date.UTC(2026, 11, 1), branding: { accent: null, termsUrl: null, privacyUrl: null, logoUrl: null } };
const admins = [{ username: 'tom', mfaEnabled: false, disabled: false, lastSignInAt: null }, { username: '<b>eve</b>', mfaEnabled: true, disabled: true, lastSignInAt: Date.UTC(2026, 11, 3) }];
const client: ClientView = {
  id: 'client-id-1',
  tenant: 'acme',
  name: '<script>alert(1)</script>',
  isPublic: false,
  resourceServer: false,
  grantTypes: ['client_credentials'],
  scopes: ['documents:read', 'legacy:scope'],
  redirectUris: [],
  accessTokenTtl: 900,
  disabled: false,
  createdAt: Date.UTC(2026, 11, 2),
  previousSecretExpiresAt: null,
};
const catalogue = [
  { name: 'documents:read', description: 'Read your documents' },
  { name: 'documents:write', description: 'Create and change documents' },
];

/** Every page the dashboard renders, on typical models. */
function everyPage(): [string, string][] {
  return [
    ['tenant list', tenantListPage({ viewer: operator, tenants: [tenant], query: '', total: 1 })],
    ['tenant page (operator)', tenantPage({ viewer: operator, tenant, defaultAccessTokenTtl: 3600, counts: { clients: 1, scopes: 2, users: 0 }, admins })],
    ['tenant page (tenant admin)', tenantPage({ viewer: tenantAdmin, tenant, defaultAccessTokenTtl: 3600, counts: { clients: 1, scopes: 2, users: 0 }, admins })],
    ['client list', clientListPage({ viewer: operator, tenant: 'acme', clients: [client], query: '', total: 1 })],
    ['new client', newClientPage({ viewer: operator, tenant: 'acme', catalogue, values: NEW_CLIENT_DEFAULTS, tenantAccessTokenTtl: 3600 })],
    ['client page', clientPage({ viewer: operator, client, catalogue, tenantAccessTokenTtl: 3600 })],
    ['delete client', deleteClientPage({ viewer: operator, client })],
    ['secret shown', secretShownPage({ viewer: operator, client, secret: 'gh_secret_value', tokenEndpoint: 'https://id.example/oauth/token' }, 'created')],
    ['scopes', scopeListPage({ viewer: operator, tenant: 'acme', scopes: catalogue })],
    ['users', userListPage({ viewer: operator, tenant: 'acme', users: [{ username: 'ann', tenants: ['acme'], disabled: false, createdAt: 0 }], query: '', total: 1 })],
    ['keys', keyListPage({ viewer: operator, keys: [{ kid: 'k1', alg: 'ES256', active: true, createdAt: 0, publishedUntil: null }], algorithms: ['ES256', 'RS256'], retention: 3900 })],
    ['operators', operatorsPage(operator, admins)],
    ['audit', auditPage({ viewer: operator, filters: { tenant: '', action: '', actor: '', since: '' }, events: [], nextHref: null, firstHref: null })],
  ];
}

describe('dashboard pages (render functions)', () => {
  it('put the CSRF token in every POST form', () => {
    for (const [name, html] of everyPage()) {
      const forms = html.match(/<form method="post"[\s\S]*?<\/form>/g) ?? [];
      assert.ok(forms.length > 0, `${name} has a form`);
      for (const form of forms) assert.ok(form.includes(`name="csrf_token" value="${CSRF}"`), `${name}: every POST form carries the CSRF token:\n${form}`);
    }
  });

  it('have no inline script, inline style or third-party asset', () => {
    for (const [name, html] of everyPage()) {
      assert.doesNotMatch(html, /<script(?![^>]*\bsrc="\/)[^>]*>/, `${name}: scripts only from this origin`);
      assert.doesNotMatch(html, /\sstyle=|<style/, `${name}: no inline style`);
      assert.doesNotMatch(html, /\son[a-z]+=/, `${name}: no inline event handler`);
      assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, `${name}: no third-party asset`);
    }
  });

  it('label every field', () => {
    for (const [name, html] of everyPage()) {
      const ids = [...html.matchAll(/<(?:input|select|textarea)(?![^>]*type="(?:hidden|submit)")[^>]*\bid="([^"]+)"/g)].map((match) => match[1]!);
      const unlabelled = [...html.matchAll(/<(?:input|select|textarea)(?![^>]*type="hidden")(?![^>]*\bid=)[^>]*>/g)];
      assert.deepEqual(unlabelled.map((match) => match[0]), [], `${name}: every visible field has an id`);
      for (const id of ids) assert.ok(html.includes(`<label for="${id}">`), `${name}: field ${id} has a label`);
    }
  });

  it('escape what the models carry (a client named <script>…)', () => {
    for (const [name, html] of everyPage()) {
      assert.ok(!html.includes('<script>alert(1)</script>'), `${name} escapes the client name`);
      assert.ok(!html.includes('Acme <Docs>'), `${name} escapes the tenant name`);
    }
    assert.ok(clientPage({ viewer: operator, client, catalogue, tenantAccessTokenTtl: 3600 }).includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  });

  it('New client: a field labelled Name, scopes as labelled checkboxes with their descriptions, grant types, redirect URIs, lifetime', () => {
    const html = newClientPage({ viewer: operator, tenant: 'acme', catalogue, values: NEW_CLIENT_DEFAULTS, tenantAccessTokenTtl: 3600 });
    assert.match(html, /<label for="client-name">Name<\/label>\s*<input type="text" id="client-name" name="name" required/);
    assert.match(html, /<input type="checkbox" id="scope-0" name="scope" value="documents:read">\s*<label for="scope-0"><code>documents:read<\/code> <span class="hint">Read your documents<\/span><\/label>/);
    assert.match(html, /<input type="checkbox" id="grant-client_credentials" name="grant_type" value="client_credentials" checked>/);
    assert.match(html, /<label for="client-redirect-uris">Redirect URIs<\/label>/);
    assert.match(html, /<label for="client-ttl">Access token lifetime<\/label>/);
    assert.match(html, /the tenant’s lifetime \(1h\)/);
  });

  it('New client keeps what was typed when refused, and says why', () => {
    const html = newClientPage({
      viewer: operator,
      tenant: 'acme',
      catalogue,
      values: { ...NEW_CLIENT_DEFAULTS, name: 'Billing', scopes: ['documents:write'], redirectUris: 'https://app.example/cb' },
      tenantAccessTokenTtl: 3600,
      error: 'invalid redirect URI',
    });
    assert.match(html, /role="alert">invalid redirect URI</);
    assert.match(html, /value="Billing"/);
    assert.match(html, /value="documents:write" checked>/);
    assert.doesNotMatch(html, /value="documents:read" checked>/);
    assert.match(html, />https:\/\/app.example\/cb<\/textarea>/);
  });

  it('shows the client id and the secret once, with a copy button (progressive) and a plain warning', () => {
    const html = secretShownPage({ viewer: operator, client, secret: 'gh_secret_value', tokenEndpoint: 'https://id.example/oauth/token' }, 'created');
    assert.match(html, /<input type="text" id="client-id" readonly value="client-id-1"/);
    assert.match(html, /<input type="text" id="client-secret" readonly value="gh_secret_value"/);
    assert.match(html, /it will not be shown again/);
    assert.match(html, /<button type="button" class="secondary" data-copy="client-secret" hidden>Copy client secret<\/button>/);
    assert.match(html, /<script src="\/admin\/assets\/copy.js" defer><\/script>/);
  });

  it('after a rotation, says whether the old secret still works', () => {
    const now = secretShownPage({ viewer: operator, client, secret: 's2', previousSecretExpiresAt: null, tokenEndpoint: 'x' }, 'rotated');
    assert.match(now, /The old secret no longer works, and every token issued with it has been revoked/);
    const grace = secretShownPage({ viewer: operator, client, secret: 's2', previousSecretExpiresAt: Date.UTC(2026, 11, 8, 12, 0), tokenEndpoint: 'x' }, 'rotated');
    assert.match(grace, /The old secret keeps working until 2026-12-08 12:00 UTC/);
  });

  it('client page: rotate now (default) or with a grace period, disable, delete through a confirmation page', () => {
    const html = clientPage({ viewer: operator, client, catalogue, tenantAccessTokenTtl: 3600 });
    assert.match(html, /action="\/admin\/tenants\/acme\/clients\/client-id-1\/rotate-secret"/);
    assert.match(html, /<input type="radio" id="rotate-now" name="grace" value="0" checked>/);
    assert.match(html, /<input type="radio" id="rotate-grace-86400" name="grace" value="86400">/);
    assert.match(html, /Disable client/);
    assert.match(html, /<a class="button danger" href="\/admin\/tenants\/acme\/clients\/client-id-1\/delete">/);
    // A scope the client holds that the catalogue no longer lists stays visible and checked.
    assert.match(html, /value="legacy:scope" checked>/);
    assert.doesNotMatch(html, /value="documents:write" checked>/);
  });

  it('a public client has no rotation and its created page says it has no secret', () => {
    const pub = { ...client, isPublic: true };
    assert.doesNotMatch(clientPage({ viewer: operator, client: pub, catalogue, tenantAccessTokenTtl: 3600 }), /rotate-secret/);
    const created = secretShownPage({ viewer: operator, client: pub, secret: undefined, tokenEndpoint: 'x' }, 'created');
    assert.match(created, /This is a public client: it has no secret/);
    assert.doesNotMatch(created, /client-secret/);
  });

  it('a tenant admin sees no disable/enable of its tenant, and navigation to its own tenant', () => {
    const html = tenantPage({ viewer: tenantAdmin, tenant, defaultAccessTokenTtl: 3600, counts: { clients: 0, scopes: 0, users: 0 }, admins });
    assert.doesNotMatch(html, /Disable tenant/);
    assert.doesNotMatch(html, /href="\/admin\/tenants"/);
    assert.doesNotMatch(html, /href="\/admin\/keys"/);
    assert.match(html, /href="\/admin\/tenants\/acme\/clients">API clients/);
    assert.match(tenantPage({ viewer: operator, tenant, defaultAccessTokenTtl: 3600, counts: { clients: 0, scopes: 0, users: 0 }, admins }), /Disable tenant/);
  });

  it('flash messages come from a fixed list, never from the URL', () => {
    assert.equal(isFlashKey('client-updated'), true);
    assert.equal(isFlashKey('<b>hi</b>'), false);
    assert.equal(isFlashKey('toString'), false);
    const html = tenantListPage({ viewer: operator, tenants: [], query: '', total: 0, flash: 'tenant-created' });
    assert.match(html, new RegExp(`role="status">${FLASH_MESSAGES['tenant-created']}<`));
  });

  it('the audit page offers filters, and a tenant admin cannot change the tenant filter', () => {
    const events = [{ time: Date.UTC(2026, 11, 7, 21, 0), actor: 'olivia', tenant: 'acme', action: 'client.create', target: 'c1', outcome: 'success', details: ['name: Billing'] }];
    const html = auditPage({ viewer: operator, filters: { tenant: 'acme', action: 'client.create', actor: '', since: '24h' }, events, nextHref: '/admin/audit?cursor=abc', firstHref: null });
    assert.match(html, /<option value="client.create" selected>/);
    assert.match(html, /<input type="text" id="audit-tenant" name="tenant" value="acme">/);
    assert.match(html, /<a href="\/admin\/audit\?cursor=abc">Older events<\/a>/);
    assert.match(html, /2026-12-07 21:00 UTC/);
    assert.doesNotMatch(auditPage({ viewer: tenantAdmin, filters: { tenant: 'acme', action: '', actor: '', since: '' }, events, nextHref: null, firstHref: null }), /id="audit-tenant"/);
  });
});
