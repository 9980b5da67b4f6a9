/**
 * Branding (issue 14): the deployment's (settings read at boot), each tenant's
 * (TenantService.setBranding, served as a stylesheet and a logo), and the operator's
 * template overrides (GATEHOUSE_TEMPLATES_DIR, the example of docs/branding.md).
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { accentColours, contrastRatio, DARK_SURFACE, LIGHT_SURFACE } from '../../packages/server/src/core/branding.js';
import { loadConfig } from '../../packages/server/src/core/config.js';
import { ValidationError } from '../../packages/server/src/core/errors.js';
import { loadSite } from '../../packages/server/src/web/site.js';
import { createTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { createTempDir } from '../helpers/temp-dir.js';

const EXAMPLE_TEMPLATES = fileURLToPath(new URL('../../docs/examples/templates/', import.meta.url));
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5d2c5d80000000049454e44ae426082', 'hex');
const SVG = Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');

const linkedStylesheets = (body: string) => [...body.matchAll(/<link rel="stylesheet" href="([^"]+)">/g)].map((match) => match[1]!);

describe('deployment branding (GATEHOUSE_PRODUCT_NAME, _BRAND_ACCENT, _BRAND_LOGO, _TERMS_URL, _PRIVACY_URL)', () => {
  let t: TestGatehouse;
  const dir = createTempDir('gatehouse-branding-');
  before(async () => {
    writeFileSync(join(dir.path, 'logo.png'), PNG);
    t = await createTestGatehouse({
      config: { productName: 'Docuvault <ID>', brandAccent: '#7A1F5C', brandLogo: join(dir.path, 'logo.png'), termsUrl: 'https://example.com/terms', privacyUrl: 'https://example.com/privacy' },
    });
  });
  after(async () => {
    await t.close();
    dir.remove();
  });

  it('shows the product name (escaped) and logo in the header, the links in the footer, and links the accent stylesheet after the shared one', async () => {
    const { body } = await t.app.inject({ method: 'GET', url: '/' });
    assert.match(body, /<h1>Docuvault &lt;ID&gt;<\/h1>/);
    assert.match(body, /<img src="\/oauth\/assets\/logo\?v=[\w-]{8}" alt="Docuvault &lt;ID&gt;">/);
    assert.match(body, /<a href="https:\/\/example.com\/terms">Terms of service<\/a>/);
    assert.match(body, /<a href="https:\/\/example.com\/privacy">Privacy policy<\/a>/);
    const sheets = linkedStylesheets(body);
    assert.equal(sheets[0], '/oauth/assets/gatehouse.css');
    assert.match(sheets[1]!, /^\/oauth\/assets\/brand\.css\?v=/);
  });

  it('serves the accent stylesheet and the logo with strong ETags, and 304 to a matching If-None-Match', async () => {
    const css = await t.app.inject({ method: 'GET', url: '/oauth/assets/brand.css' });
    assert.equal(css.statusCode, 200);
    assert.match(String(css.headers['content-type']), /^text\/css/);
    assert.match(css.body, /--accent: #7a1f5c;/);
    const etag = String(css.headers.etag);
    assert.match(etag, /^"[\w-]+"$/);
    const again = await t.app.inject({ method: 'GET', url: '/oauth/assets/brand.css', headers: { 'if-none-match': etag } });
    assert.equal(again.statusCode, 304);
    assert.equal(again.body, '');
    const logo = await t.app.inject({ method: 'GET', url: '/oauth/assets/logo' });
    assert.equal(logo.statusCode, 200);
    assert.equal(logo.headers['content-type'], 'image/png');
    assert.equal(logo.headers['x-content-type-options'], 'nosniff');
    assert.deepEqual(logo.rawPayload, PNG);
  });

  it('the shared stylesheet answers with an ETag too', async () => {
    const css = await t.app.inject({ method: 'GET', url: '/oauth/assets/gatehouse.css' });
    const again = await t.app.inject({ method: 'GET', url: '/oauth/assets/gatehouse.css', headers: { 'if-none-match': String(css.headers.etag) } });
    assert.equal(again.statusCode, 304);
  });

  it('serves the header mark as the icon every page links, and at /favicon.ico, with a long cache', async () => {
    const { body } = await t.app.inject({ method: 'GET', url: '/' });
    assert.match(body, /<link rel="icon" href="\/oauth\/assets\/icon\.svg" type="image\/svg\+xml">/);
    for (const url of ['/oauth/assets/icon.svg', '/favicon.ico']) {
      const icon = await t.app.inject({ method: 'GET', url });
      assert.equal(icon.statusCode, 200, url);
      assert.equal(icon.headers['content-type'], 'image/svg+xml');
      assert.equal(icon.headers['cache-control'], 'public, max-age=86400');
      assert.match(String(icon.headers['content-security-policy']), /default-src 'none'/);
      assert.match(icon.body, /^<svg [^>]*>.*>D<\/text><\/svg>\n$/s, 'the initial of the product name');
      assert.doesNotMatch(icon.body, /<script/);
    }
  });
});

describe('branding settings are checked at boot, and the error names the variable', () => {
  it('refuses an accent that is not #rrggbb, a footer link that is not https, and an unreadable or non-image logo', () => {
    const env = { GATEHOUSE_BRAND_ACCENT: 'GATEHOUSE_BRAND_ACCENT', GATEHOUSE_TERMS_URL: 'GATEHOUSE_TERMS_URL' } as const;
    assert.throws(() => loadConfig({ brandAccent: 'teal' }, { brandAccent: env.GATEHOUSE_BRAND_ACCENT }), /GATEHOUSE_BRAND_ACCENT "teal": expected a colour as #rrggbb/);
    assert.throws(() => loadConfig({ termsUrl: 'http://example.com/terms' }, { termsUrl: env.GATEHOUSE_TERMS_URL }), /GATEHOUSE_TERMS_URL "http:\/\/example.com\/terms": expected an https URL/);
    assert.equal(loadConfig({ privacyUrl: 'http://localhost:3000/privacy' }).privacyUrl, 'http://localhost:3000/privacy', 'http for localhost (development)');
    const dir = createTempDir('gatehouse-branding-bad-');
    try {
      writeFileSync(join(dir.path, 'logo.gif'), 'GIF89a....');
      const config = loadConfig({ brandLogo: join(dir.path, 'logo.gif') });
      assert.throws(() => loadSite(config), (error: unknown) => error instanceof ValidationError && /GATEHOUSE_BRAND_LOGO ".*logo\.gif": the logo must be a PNG, JPEG, WebP or SVG image/.test(error.message));
      assert.throws(() => loadSite(loadConfig({ brandLogo: join(dir.path, 'missing.png') })), /GATEHOUSE_BRAND_LOGO ".*missing\.png" cannot be read \(ENOENT\)/);
    } finally {
      dir.remove();
    }
  });

  it('keeps text on the accent and links in it at ≥ 4.5:1 whatever the colour (light and dark)', () => {
    for (const accent of ['#ffff00', '#0b6bcb', '#000080', '#7a1f5c', '#22c55e', '#ffffff', '#000000']) {
      const colours = accentColours(accent);
      assert.ok(contrastRatio(colours.onAccent, accent) >= 4.5, `${accent}: text on it`);
      assert.ok(contrastRatio(colours.textLight, LIGHT_SURFACE) >= 4.5, `${accent}: links, light`);
      assert.ok(contrastRatio(colours.textDark, DARK_SURFACE) >= 4.5, `${accent}: links, dark`);
    }
  });
});

describe('tenant branding (TenantService.setBranding)', () => {
  let t: TestGatehouse;
  before(async () => {
    t = await createTestGatehouse();
    await t.gatehouse.admin.tenants.create({ slug: 'acme', name: 'Acme Corp' });
  });
  after(() => t.close());

  it('sets the accent, links and logo; the tenant JSON shows them; the stylesheet and logo are served', async () => {
    const tenant = await t.gatehouse.admin.tenants.setBranding('acme', { accent: '#0F766E', termsUrl: 'https://acme.example/terms', privacyUrl: 'https://acme.example/privacy', logo: PNG });
    assert.deepEqual({ ...tenant.branding, logo: tenant.branding.logo?.contentType }, { accent: '#0f766e', termsUrl: 'https://acme.example/terms', privacyUrl: 'https://acme.example/privacy', logo: 'image/png' });
    const { toTenantResource } = await import('../../packages/server/src/core/admin/resources.js');
    const resource = toTenantResource(tenant);
    assert.match(resource.branding.logo_url!, /^\/oauth\/assets\/tenants\/acme\/logo\?v=[\w-]{8}$/);
    assert.equal(resource.branding.accent, '#0f766e');

    const css = await t.app.inject({ method: 'GET', url: '/oauth/assets/tenants/acme.css' });
    assert.equal(css.statusCode, 200);
    assert.match(css.body, /--accent: #0f766e;/);
    assert.ok(css.headers.etag);
    const logo = await t.app.inject({ method: 'GET', url: resource.branding.logo_url! });
    assert.equal(logo.statusCode, 200);
    assert.equal(logo.headers['content-type'], 'image/png');
    assert.deepEqual(logo.rawPayload, PNG);
    const cached = await t.app.inject({ method: 'GET', url: resource.branding.logo_url!, headers: { 'if-none-match': String(logo.headers.etag) } });
    assert.equal(cached.statusCode, 304);
  });

  it('serves an SVG logo under a CSP that runs no script', async () => {
    const withPrologue = Buffer.from(`\uFEFF<?xml version="1.0"?>\n<!-- made by hand -->\n<!DOCTYPE svg>\n<svg xmlns="http://www.w3.org/2000/svg"/>`);
    assert.equal((await t.gatehouse.admin.tenants.setBranding('acme', { logo: withPrologue })).branding.logo?.contentType, 'image/svg+xml');
    await t.gatehouse.admin.tenants.setBranding('acme', { logo: SVG });
    const logo = await t.app.inject({ method: 'GET', url: '/oauth/assets/tenants/acme/logo' });
    assert.equal(logo.headers['content-type'], 'image/svg+xml');
    assert.equal(logo.headers['content-security-policy'], "default-src 'none'; style-src 'unsafe-inline'");
    assert.equal(logo.headers['x-content-type-options'], 'nosniff');
  });

  it('refuses a bad colour, URL or image, naming the field, and changes nothing', async () => {
    const before = await t.gatehouse.storage.tenants.findTenantBySlug('acme');
    await assert.rejects(t.gatehouse.admin.tenants.setBranding('acme', { accent: 'red' }), /accent "red": expected a colour as #rrggbb/);
    await assert.rejects(t.gatehouse.admin.tenants.setBranding('acme', { termsUrl: 'javascript:alert(1)' }), /terms URL "javascript:alert\(1\)": expected an https URL/);
    await assert.rejects(t.gatehouse.admin.tenants.setBranding('acme', { logo: Buffer.from('<html><script>alert(1)</script></html>') }), /logo: the logo must be a PNG, JPEG, WebP or SVG image/);
    await assert.rejects(t.gatehouse.admin.tenants.setBranding('acme', { logo: Buffer.concat([PNG, Buffer.alloc(300 * 1024)]) }), /logo: the logo is \d+ bytes, more than the 262144 allowed/);
    await assert.rejects(t.gatehouse.admin.tenants.setBranding('acme', { logo: Buffer.from(`<?xml version="1.0"?>${'<!--'.repeat(2000)}`) }), /logo: the logo must be/, 'an unclosed prologue, at once');
    await assert.rejects(t.gatehouse.admin.tenants.setBranding('nope', { accent: '#000000' }), /unknown tenant "nope"/);
    assert.deepEqual(await t.gatehouse.storage.tenants.findTenantBySlug('acme'), before);
  });

  it('clears with null or an empty string, and records tenant.branding (never the logo bytes)', async () => {
    const cleared = await t.gatehouse.admin.tenants.setBranding('acme', { accent: '', logo: null, termsUrl: null });
    assert.deepEqual(cleared.branding, { accent: null, termsUrl: null, privacyUrl: 'https://acme.example/privacy', logo: null });
    assert.equal((await t.app.inject({ method: 'GET', url: '/oauth/assets/tenants/acme.css' })).statusCode, 404);
    assert.equal((await t.app.inject({ method: 'GET', url: '/oauth/assets/tenants/acme/logo' })).statusCode, 404);
    const events = (await t.gatehouse.audit.list({ tenant: 'acme', limit: 10 })).events.filter((event) => event.action === 'tenant.branding');
    assert.ok(events.length >= 3);
    assert.deepEqual(events[0]!.details, { accent: null, terms_url: null, logo: 'removed' });
    assert.equal(events[0]!.outcome, 'success');
  });

  it('answers 404 for an unknown tenant or a malformed name, never 500', async () => {
    for (const url of ['/oauth/assets/tenants/nope.css', '/oauth/assets/tenants/nope/logo', '/oauth/assets/tenants/..%2f.css', '/oauth/assets/tenants/ACME.css']) {
      assert.equal((await t.app.inject({ method: 'GET', url })).statusCode, 404, url);
    }
  });
});

describe('template overrides (GATEHOUSE_TEMPLATES_DIR): the example of docs/branding.md', () => {
  let t: TestGatehouse;
  before(async () => {
    t = await createTestGatehouse({ config: { productName: 'Docuvault', templatesDir: EXAMPLE_TEMPLATES, termsUrl: 'https://example.com/terms?a=1&b=2', privacyUrl: 'https://example.com/privacy' } });
  });
  after(() => t.close());

  it('renders the header and footer from the templates, placeholders filled and escaped, and links custom.css last', async () => {
    const { body } = await t.app.inject({ method: 'GET', url: '/' });
    assert.match(body, /<a class="brand" href="https:\/\/www.example.com\/">/);
    assert.match(body, /<span>Docuvault<\/span>/);
    assert.match(body, /<a href="https:\/\/example.com\/terms\?a=1&amp;b=2">Terms<\/a>/, 'escaped');
    assert.match(body, /<span>© Docuvault Ltd<\/span>/);
    assert.match(body, /<span class="tenant-brand"><\/span>/, 'no tenant on the landing page');
    const sheets = linkedStylesheets(body);
    assert.match(sheets.at(-1)!, /^\/oauth\/assets\/custom\.css\?v=/);
    const css = await t.app.inject({ method: 'GET', url: '/oauth/assets/custom.css' });
    assert.equal(css.statusCode, 200);
    assert.match(css.body, /--accent: #7a1f5c/);
  });

  it('stops the start with the file and line of an unknown placeholder, a script or inline style', () => {
    const dir = createTempDir('gatehouse-templates-');
    try {
      const templates = join(dir.path, 'templates');
      mkdirSync(templates);
      const start = () => loadSite(loadConfig({ templatesDir: templates }));
      writeFileSync(join(templates, 'header.html'), '<span>{{product_name}}</span>\n<span>{{tenant_logo}}</span>');
      assert.throws(start, /template .*header\.html line 2: unknown placeholder \{\{tenant_logo\}\} \(known: product_name, /);
      writeFileSync(join(templates, 'header.html'), '<span>ok</span>');
      writeFileSync(join(templates, 'footer.html'), '<script>alert(1)</script>');
      assert.throws(start, /template .*footer\.html line 1: <script> is not allowed/);
      writeFileSync(join(templates, 'footer.html'), '<p style="color: red">x</p>');
      assert.throws(start, /template .*footer\.html line 1: inline style is not allowed/);
      assert.throws(() => loadSite(loadConfig({ templatesDir: join(dir.path, 'missing') })), /GATEHOUSE_TEMPLATES_DIR ".*missing" is not a readable directory/);
    } finally {
      dir.remove();
    }
  });
});
