/**
 * The server-rendered pages in a REAL browser (chromium via playwright-core), as an attacker
 * would use them (issue 16, "Pages"): the login, consent, error, account and dashboard
 * pages cannot be framed by another origin, carry a CSP that refuses inline script (an
 * injected inline script and an inline event handler do not run), and show hostile client
 * names, tenant names, scope descriptions, `state` and error text literally.
 *
 * Gatehouse runs in this process on a SQLite file, listening on 127.0.0.1 (the hostile
 * names are registered through the admin services, as the CLI and the admin API would);
 * the framing page is served from another port, which is another origin. Screenshots under
 * test/e2e/screenshots/ (git-ignored). Skipped without a browser.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser, SKIP_BROWSER } from '../helpers/browser.js';
import { createClient, createTestGatehouse, type TestClient, type TestGatehouse } from '../helpers/gatehouse.js';
import { pkcePair } from '../helpers/tokens.js';
import { exchangeCode } from '../helpers/user-delegation.js';

const SCREENSHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
const PASSWORD = 'correct-horse-battery-staple';
const TIMEOUT_MS = 15_000;

const HOSTILE_CLIENT = '<img src=x onerror=window.__pwned=1>';
const HOSTILE_TENANT = '<svg onload=window.__pwned=2>"Evil & Co"';
const HOSTILE_SCOPE = 'Read <b>your</b> documents<script>window.__pwned=3</script><img src=x onerror=window.__pwned=4>';
const HOSTILE_STATE = '"><script>window.__pwned=5</script><img src=x onerror=window.__pwned=6>';

describe('real browser: the pages cannot be framed, run no inline script and escape what they show', { skip: SKIP_BROWSER }, () => {
  let t: TestGatehouse;
  let origin: string;
  let browser: Browser;
  let context: BrowserContext;
  let framer: Server;
  let framerOrigin: string;
  let client: TestClient;
  let redirectUri: string;

  before(async () => {
    // The framing site (another origin) serves /frame?src=… and /frameable (a page that allows framing: the control).
    framer = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      if (url.pathname === '/frameable') return void response.writeHead(200, { 'content-type': 'text/html' }).end('<p id="framed">framed content</p>');
      if (url.pathname === '/frame') {
        const src = url.searchParams.get('src') ?? '';
        const escaped = src.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
        return void response.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><iframe id="target" src="${escaped}" width="800" height="600"></iframe>`);
      }
      response.writeHead(200, { 'content-type': 'text/plain' }).end('callback');
    });
    await new Promise<void>((resolve) => framer.listen(0, '127.0.0.1', resolve));
    const address = framer.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    framerOrigin = `http://127.0.0.1:${address.port}`;
    redirectUri = `${framerOrigin}/callback`;

    // The issuer is the listening origin: bind a port first (test/helpers/process.ts needs dist/).
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    origin = `http://127.0.0.1:${port}`;
    t = await createTestGatehouse({ config: { issuer: origin } });
    await t.app.listen({ host: '127.0.0.1', port });
    await t.gatehouse.admin.tenants.create({ slug: 'acme', name: HOSTILE_TENANT });
    await t.gatehouse.admin.scopes.create({ tenant: 'acme', name: 'documents:read', description: HOSTILE_SCOPE });
    client = await createClient(t.gatehouse, { tenant: 'acme', name: HOSTILE_CLIENT, grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [redirectUri], scope: 'documents:read', defaultScope: 'documents:read' });
    await t.gatehouse.admin.users.create({ tenant: 'acme', username: 'alice', password: PASSWORD });
    await t.gatehouse.admin.accounts.create({ username: 'ops', password: PASSWORD });

    browser = await launchBrowser();
    context = await browser.newContext();
    context.setDefaultTimeout(TIMEOUT_MS);
    context.setDefaultNavigationTimeout(TIMEOUT_MS);
  });

  after(async () => {
    await context?.close().catch(() => {});
    await browser?.close().catch(() => {});
    await t?.close();
    if (framer) await new Promise<void>((resolve) => framer.close(() => resolve()).closeAllConnections());
  });

  async function screenshot(page: Page, name: string): Promise<void> {
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  }

  let verifier = '';
  const authorizeUrl = () => {
    const pkce = pkcePair();
    verifier = pkce.verifier;
    const challenge = pkce.challenge;
    const query = new URLSearchParams({ response_type: 'code', client_id: client.clientId, redirect_uri: redirectUri, scope: 'documents:read', state: HOSTILE_STATE, code_challenge: challenge, code_challenge_method: 'S256', prompt: 'consent' });
    return `${origin}/oauth/authorize?${query.toString()}`;
  };

  /** Asserts the page's CSP, that script injected inline (element or event handler) does not run, and that nothing hostile ran. */
  async function assertHardened(page: Page, response: { headers(): Record<string, string> } | null, what: string): Promise<void> {
    assert.ok(response, `${what}: a response`);
    const headers = response.headers();
    const csp = headers['content-security-policy'] ?? assert.fail(`${what}: no CSP`);
    assert.match(csp, /frame-ancestors 'none'/, what);
    assert.match(csp, /default-src 'none'/, what);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|script-src[^;]*\*/, what);
    assert.equal(headers['x-frame-options'], 'DENY', what);
    assert.equal(await page.locator('script:not([src])').count(), 0, `${what}: no inline <script> in the page`);
    // Evaluated in the page (a string: this project compiles without the DOM library).
    const ran = await page.evaluate(`(async () => {
      const script = document.createElement('script');
      script.textContent = 'window.__inline = 1';
      document.body.appendChild(script);
      const image = document.createElement('img');
      image.setAttribute('onerror', 'window.__handler = 1');
      image.src = 'data:,not-an-image';
      document.body.appendChild(image);
      await new Promise((resolve) => setTimeout(resolve, 200));
      script.remove();
      image.remove();
      return { inline: window.__inline, handler: window.__handler, pwned: window.__pwned };
    })()`);
    assert.deepEqual(ran, { inline: undefined, handler: undefined, pwned: undefined }, `${what}: no inline script ran`);
  }

  /** Loads `url` in an iframe of the framing origin: it must not render (a control page from that origin does). */
  async function assertNotFramable(url: string, marker: string, what: string): Promise<void> {
    const page = await context.newPage();
    try {
      await page.goto(`${framerOrigin}/frame?src=${encodeURIComponent(`${framerOrigin.replace('127.0.0.1', 'localhost')}/frameable`)}`);
      const control = page.frameLocator('#target');
      assert.equal(await control.locator('#framed').textContent(), 'framed content', 'the control page renders in the frame');

      const loaded = page.waitForEvent('requestfinished', (request) => request.url() === url).catch(() => undefined);
      await page.goto(`${framerOrigin}/frame?src=${encodeURIComponent(url)}`);
      await loaded;
      await page.waitForTimeout(300);
      const frame = page.frames().find((candidate) => candidate !== page.mainFrame());
      assert.ok(frame, `${what}: the iframe exists`);
      const content = await frame.content().catch(() => '');
      assert.ok(!content.includes(marker), `${what}: the framed page did not render (${frame.url()})`);
    } finally {
      await page.close();
    }
  }

  it('login and consent pages: hardened, not framable; hostile client, tenant, scope description and state shown literally', async () => {
    const page = await context.newPage();
    const login = await page.goto(authorizeUrl());
    assert.equal(login?.status(), 200);
    assert.equal(await page.locator('input[name=password]').count(), 1);
    await assertHardened(page, login, 'login page');
    assert.ok((await page.textContent('body'))!.includes(HOSTILE_CLIENT), 'the client name is shown as text on the login page');
    await screenshot(page, 'security-login');

    await page.fill('input[name=username]', 'alice');
    await page.fill('input[name=password]', PASSWORD);
    const [consent] = await Promise.all([page.waitForResponse((response) => response.url().startsWith(`${origin}/oauth/authorize/login`) && response.request().method() === 'POST'), page.click('button[type=submit]')]);
    await page.waitForLoadState();
    assert.equal(await page.locator('[name=decision]').count() > 0, true, 'the consent page');
    await assertHardened(page, consent, 'consent page');
    const text = (await page.textContent('body'))!;
    for (const literal of [HOSTILE_CLIENT, HOSTILE_TENANT, HOSTILE_SCOPE]) assert.ok(text.includes(literal), `shown literally: ${literal}\n${text}`);
    assert.equal(await page.locator('img[src=x], svg, b').count(), 0, 'no element made of the hostile text');
    assert.ok(!(await page.content()).includes(HOSTILE_STATE), 'state is not echoed raw');
    // Long hostile names wrap inside the card instead of running out of it.
    const overflowing = await page.evaluate(`(() => {
      const main = document.querySelector('main').getBoundingClientRect();
      return [...document.querySelectorAll('main *')]
        .filter((element) => element.getBoundingClientRect().right > main.right + 1 || (element.clientWidth > 0 && element.scrollWidth > element.clientWidth + 1))
        .map((element) => element.tagName + ': ' + (element.textContent || '').slice(0, 40));
    })()`);
    assert.deepEqual(overflowing, [], 'nothing runs out of the consent card');
    await screenshot(page, 'security-consent-hostile');

    // Allow: the browser reaches the callback with the state intact, byte for byte.
    await Promise.all([page.waitForURL((url) => url.href.startsWith(redirectUri)), page.click('button[name=decision][value=allow]')]);
    const callback = new URL(page.url());
    assert.equal(callback.searchParams.get('state'), HOSTILE_STATE);
    // Redeemed: the application is connected (listed on /account).
    const tokens = await exchangeCode(t.app, client, callback.searchParams.get('code') ?? assert.fail('no code'), { redirect_uri: redirectUri, code_verifier: verifier });
    assert.equal(tokens.statusCode, 200, tokens.body);
    await page.close();

    await assertNotFramable(authorizeUrl(), 'name="password"', 'login page');
  });

  it('error pages: hardened, not framable; hostile parameters are not rendered as markup', async () => {
    const page = await context.newPage();
    const query = new URLSearchParams({ response_type: 'code', client_id: HOSTILE_CLIENT, redirect_uri: `javascript:window.__pwned=7//${HOSTILE_STATE}`, state: HOSTILE_STATE, scope: HOSTILE_SCOPE });
    const url = `${origin}/oauth/authorize?${query.toString()}`;
    const response = await page.goto(url);
    assert.ok(response && response.status() >= 400 && response.status() < 500, `an error page (${response?.status()})`);
    await assertHardened(page, response, 'error page');
    assert.equal(await page.locator('img[src=x], svg, b').count(), 0);
    const text = (await page.textContent('body'))!;
    assert.ok(text.trim().length > 0, 'the error is explained');
    await screenshot(page, 'security-error');
    await page.close();
    await assertNotFramable(url, '<main', 'error page');
  });

  it('/account: hardened, not framable; the connected application is listed by its name, literally', async () => {
    const page = await context.newPage();
    // Signed in by the consent test: the session is shared with /oauth/authorize.
    const response = await page.goto(`${origin}/account`);
    assert.equal(response?.status(), 200);
    await assertHardened(page, response, 'account page');
    const text = (await page.textContent('body'))!;
    assert.ok(text.includes(HOSTILE_CLIENT), `the application is listed by its name:\n${text}`);
    assert.equal(await page.locator('img[src=x], svg, b').count(), 0);
    await screenshot(page, 'security-account');
    await page.close();
    await assertNotFramable(`${origin}/account`, 'name="csrf_token"', 'account page');
  });

  it('dashboard: hardened, not framable; the tenant page shows the hostile client and tenant names literally', async () => {
    const page = await context.newPage();
    const login = await page.goto(`${origin}/admin/login`);
    assert.equal(login?.status(), 200);
    await assertHardened(page, login, 'dashboard sign-in');
    await page.fill('input[name=username]', 'ops');
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForURL((url) => url.pathname === '/admin'), page.click('button[type=submit]')]);
    const shown: [string, string][] = [['/admin/tenants/acme', HOSTILE_TENANT], ['/admin/tenants/acme/clients', HOSTILE_CLIENT], [`/admin/tenants/acme/clients/${client.clientId}`, HOSTILE_CLIENT], ['/admin/tenants/acme/scopes', HOSTILE_SCOPE]];
    for (const [path, literal] of shown) {
      const response = await page.goto(`${origin}${path}`);
      assert.equal(response?.status(), 200, path);
      await assertHardened(page, response, `dashboard ${path}`);
      assert.ok((await page.textContent('body'))!.includes(literal), `${path} shows literally: ${literal}`);
      assert.equal(await page.locator('img[src=x], svg[onload], b').count(), 0, path);
    }
    await screenshot(page, 'security-dashboard');
    await page.close();
    await assertNotFramable(`${origin}/admin/login`, 'name="password"', 'dashboard sign-in');
    await assertNotFramable(`${origin}/admin/tenants/acme/clients`, 'csrf_token', 'dashboard client list');
  });
});
