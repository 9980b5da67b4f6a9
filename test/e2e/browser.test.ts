/**
 * The authorization code flow in a REAL browser (Debian's chromium, driven by
 * playwright-core) against a real `gatehouse serve` process, set up with the real CLI,
 * as a user and a native-app style public client (PKCE, loopback redirect) live it:
 * login → consent with a tenant choice → code → tokens → the demo API → refresh → deny.
 *
 * The browser is GATEHOUSE_TEST_BROWSER (.ci/run sets it), else /usr/bin/chromium when
 * it exists; without either the suite is skipped (scripts/test.mjs says so). When
 * GATEHOUSE_TEST_BROWSER is set, a browser that cannot be launched fails the suite.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { launchBrowser, SKIP_BROWSER } from '../helpers/browser.js';
import { startSqliteServer, type ServerProcess, type SqliteServer } from '../helpers/process.js';
import { type HttpResult, postForm } from '../helpers/http.js';
import { jwtPayload, pkcePair } from '../helpers/tokens.js';


/** Where the consent page's screenshot goes (for a person to look at; not part of the repository). */
const CONSENT_SCREENSHOT = join(tmpdir(), 'gatehouse-browser-consent.png');
/** Screenshots of every page at desktop and phone widths, light and dark (git-ignored; for a person to look at). */
const SCREENSHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
const VIEWPORTS = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } } as const;
const SCHEMES = ['light', 'dark'] as const;

/**
 * Saves the page at each width and colour scheme as <name>-<width>-<scheme>.png under
 * SCREENSHOTS; fails if the page scrolls sideways, even at 320 px, the narrowest phone.
 */
async function screenshotAtWidths(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.setViewportSize({ width: 320, height: 640 });
  assert.equal(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'), 0, `${name} fits 320 px`);
  for (const [label, viewport] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(viewport);
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    assert.equal(overflow, 0, `${name} fits the ${label} width`);
    for (const scheme of SCHEMES) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.screenshot({ path: join(SCREENSHOTS, `${name}-${label}-${scheme}.png`), fullPage: true });
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize(VIEWPORTS.desktop);
}

/** A logo for tenant acme (SVG: served under its own CSP). */
const ACME_LOGO = `<svg xmlns="http://www.w3.org/2000/svg" width="120" height="32" viewBox="0 0 120 32"><rect width="32" height="32" rx="7" fill="#0f766e"/><path d="M9 24 16 8l7 16h-4l-1.5-3.6h-3L13 24z" fill="#fff"/><text x="40" y="22" font-family="system-ui, sans-serif" font-size="16" font-weight="700" fill="#0f766e">acme</text></svg>`;

/**
 * In the page: the text elements whose colour contrasts less than 4.5:1 (WCAG 2.1 §1.4.3)
 * with the background they are drawn on (the nearest opaque one up the tree).
 */
const CONTRAST_PROBE = `(() => {
  const rgb = (value) => (value.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; }).reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
  const background = (element) => {
    for (let node = element; node; node = node.parentElement) {
      const colour = rgb(getComputedStyle(node).backgroundColor);
      if (colour.length === 3 || colour[3] > 0.9) return colour;
    }
    return [255, 255, 255];
  };
  const poor = [];
  for (const element of document.querySelectorAll('h1, h2, p, li, label, legend, dt, dd, a, button, code, .hint, .eyebrow, .brand, .tenant-brand')) {
    if (!element.textContent.trim() || element.getBoundingClientRect().width === 0) continue;
    const [a, b] = [lum(rgb(getComputedStyle(element).color)), lum(background(element))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) poor.push(element.tagName + '.' + element.className + ' ' + ratio.toFixed(2) + ' ' + element.textContent.trim().slice(0, 30));
  }
  return poor;
})()`;

const PASSWORD = 'correct-horse-battery-staple';
const BOB_PASSWORD = 'bobs-own-long-password';
/** Bound on every browser action and navigation. */
const BROWSER_TIMEOUT_MS = 15_000;

interface Callback {
  path: string;
  query: URLSearchParams;
}

/** The integrator's app: a loopback HTTP server that records every callback and answers "done". */
async function startIntegratorApp(): Promise<{ server: Server; url: string; callbacks: Callback[] }> {
  const callbacks: Callback[] = [];
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    callbacks.push({ path: url.pathname, query: url.searchParams });
    response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('done');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('could not read the integrator app port');
  return { server, url: `http://127.0.0.1:${address.port}`, callbacks };
}

describe('real browser: authorization code flow with PKCE, tenant choice, refresh and deny', { skip: SKIP_BROWSER }, () => {
  let gatehouse: SqliteServer;
  let server: ServerProcess;
  let app: Awaited<ReturnType<typeof startIntegratorApp>>;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let clientId: string;
  let redirectUri: string;
  let issuer: string;

  const cli = (args: string[], input?: string) => gatehouse.cli(args, input);

  before(async () => {
    app = await startIntegratorApp();
    redirectUri = `${app.url}/callback`;
    // Launch first: a browser that cannot start fails here, before anything else.
    browser = await launchBrowser();
    // The deployment's footer links (GATEHOUSE_TERMS_URL / GATEHOUSE_PRIVACY_URL).
    gatehouse = await startSqliteServer('gatehouse-browser-', { env: { GATEHOUSE_TERMS_URL: 'https://docs.example.com/terms', GATEHOUSE_PRIVACY_URL: 'https://docs.example.com/privacy' } });
    server = gatehouse.server;
    issuer = ((await (await fetch(`${server.url}/.well-known/oauth-authorization-server`, { signal: AbortSignal.timeout(10_000) })).json()) as { issuer: string }).issuer;

    await cli(['tenant', 'create', 'acme', '--name', 'Acme Corp']);
    await cli(['tenant', 'create', 'globex', '--name', 'Globex']);
    const logo = join(gatehouse.dir, 'acme-logo.svg');
    writeFileSync(logo, ACME_LOGO);
    await cli(['tenant', 'branding', 'acme', '--logo', logo, '--accent', '#0f766e']);
    await cli(['user', 'create', '--tenant', 'acme', '--username', 'alice', '--password-stdin'], `${PASSWORD}\n`);
    await cli(['user', 'add-tenant', 'alice', 'globex']);
    await cli(['user', 'create', '--tenant', 'acme', '--username', 'bob', '--password-stdin'], `${BOB_PASSWORD}\n`);
    await cli(['scope', 'create', '--tenant', 'acme', 'documents:read', '--description', 'Read your documents']);
    await cli(['scope', 'create', '--tenant', 'acme', 'documents:write', '--description', 'Upload and publish documents']);
    const client = await gatehouse.cliJson<{ client_id: string; client_secret?: string | null }>([
      'client', 'create', '--tenant', 'acme', '--name', 'Acme Desktop Sync',
      '--grant-type', 'authorization_code', '--grant-type', 'refresh_token',
      '--redirect-uri', redirectUri, '--scope', 'documents:read documents:write', '--public',
    ]);
    assert.ok(!client.client_secret, 'a public client has no secret');
    clientId = client.client_id;
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close().catch(() => {});
    await gatehouse?.close();
    if (app) await new Promise<void>((resolve) => app.server.close(() => resolve()).closeAllConnections());
  });

  async function freshPage(): Promise<Page> {
    const context = await browser.newContext();
    contexts.push(context);
    context.setDefaultTimeout(BROWSER_TIMEOUT_MS);
    context.setDefaultNavigationTimeout(BROWSER_TIMEOUT_MS);
    return context.newPage();
  }

  function authorizeUrl(state: string, challenge: string, extra: Record<string, string> = {}): string {
    const query = new URLSearchParams({
      ...extra,
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirectUri,
      scope: 'documents:read documents:write',
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    return `${server.url}/oauth/authorize?${query}`;
  }

  /** Opens the authorization URL and signs in on the login page. */
  async function signIn(page: Page, state: string, challenge: string, username: string, password: string, extra: Record<string, string> = {}): Promise<void> {
    const response = await page.goto(authorizeUrl(state, challenge, extra));
    assert.equal(response?.status(), 200);
    assert.equal(await page.title(), 'Sign in');
    assert.equal(await page.locator('h1').textContent(), 'Sign in');
    assert.match((await page.locator('main').textContent()) ?? '', /Acme Desktop Sync wants to access your account/);
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', password);
    await Promise.all([page.waitForURL((url) => url.pathname === '/oauth/authorize/login'), page.click('button[type=submit]')]);
  }

  /** Clicks a consent button and waits until the browser shows the integrator app's callback page. */
  async function decide(page: Page, decision: 'Allow' | 'Deny'): Promise<URL> {
    await Promise.all([page.waitForURL((url) => url.href.startsWith(redirectUri)), page.getByRole('button', { name: decision, exact: true }).click()]);
    assert.equal((await page.locator('body').textContent())?.trim(), 'done', 'the integrator app answered the callback');
    return new URL(page.url());
  }

  const token = (body: Record<string, string>): Promise<HttpResult> => postForm(`${server.url}/oauth/token`, { client_id: clientId, ...body });

  it('login → consent (client name, scope descriptions, tenant picker) → Allow acme → code → tokens → demo API → refresh', async () => {
    const { verifier, challenge } = pkcePair();
    const state = randomBytes(16).toString('base64url');
    const page = await freshPage();
    await signIn(page, state, challenge, 'alice', PASSWORD);

    // The consent page, as the user sees it.
    assert.equal(await page.title(), 'Authorize access');
    assert.equal(await page.locator('h1').textContent(), 'Authorize Acme Desktop Sync');
    const main = (await page.locator('main').textContent()) ?? '';
    assert.match(main, new RegExp(`Acme Desktop Sync \\(redirecting to ${new URL(redirectUri).host.replace(/\./g, '\\.')}\\) asks to access your account alice`));
    // Each permission by its description, the scope's name beside it.
    const scopes = (await page.locator('main ul.scopes li').allTextContents()).map((text) => text.trim());
    assert.deepEqual(scopes, ['Read your documentsdocuments:read', 'Upload and publish documentsdocuments:write']);
    assert.equal(await page.locator('fieldset legend').textContent(), 'Workspaces it may reach');
    const tenants = page.locator('input[type=checkbox][name=tenant]');
    assert.deepEqual(await tenants.evaluateAll((boxes) => boxes.map((box) => (box as unknown as { value: string }).value)), ['acme', 'globex']);
    // Tenants by display name (the slug as a hint when it differs).
    assert.deepEqual((await page.locator('fieldset .check label').allTextContents()).map((text) => text.trim()), ['Acme Corpacme', 'Globexglobex']);
    assert.equal(await page.getByLabel('Acme Corp').isChecked(), false, 'no tenant is pre-selected');
    await page.getByLabel('Acme Corp').check();
    assert.equal(await page.getByLabel('Globex').isChecked(), false);
    await page.screenshot({ path: CONSENT_SCREENSHOT, fullPage: true });

    const callback = await decide(page, 'Allow');
    assert.equal(callback.pathname, '/callback');
    const code = callback.searchParams.get('code');
    assert.ok(code, `the callback carries a code: ${callback.href}`);
    assert.equal(callback.searchParams.get('state'), state);
    assert.equal(callback.searchParams.get('iss'), issuer);
    assert.equal(callback.searchParams.get('error'), null);
    // (The browser also asks the app for /favicon.ico.)
    const recorded = app.callbacks.filter((callback) => callback.path === '/callback' && callback.query.get('state') === state);
    assert.equal(recorded.length, 1, 'the integrator app received the callback once');
    assert.equal(recorded[0]!.query.get('code'), code, 'the integrator app received the code');

    // Outside the browser, as the app's back end: the code for tokens, for tenant acme.
    const exchanged = await token({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri, tenant: 'acme' });
    assert.equal(exchanged.status, 200, exchanged.text);
    const accessToken = exchanged.json?.access_token as string;
    const refreshToken = exchanged.json?.refresh_token as string;
    assert.equal(typeof accessToken, 'string');
    assert.equal(typeof refreshToken, 'string');
    assert.equal(exchanged.json?.token_type, 'Bearer');
    assert.equal(exchanged.json?.scope, 'documents:read documents:write');
    const claims = jwtPayload(accessToken);
    assert.equal(claims.tenant, 'acme');
    assert.equal(claims.iss, issuer);
    assert.equal(claims.client_id, clientId);

    // The demo API accepts the token for acme.
    const files = await fetch(`${server.url}/api/files`, {
      headers: { authorization: `Bearer ${accessToken}`, 'x-tenant': 'acme' },
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(files.status, 200, await files.clone().text());
    assert.deepEqual(await files.json(), { files: [] });

    // globex was not ticked: not granted. The refused request leaves the refresh token current.
    const globex = await token({ grant_type: 'refresh_token', refresh_token: refreshToken, tenant: 'globex' });
    assert.equal(globex.status, 400, globex.text);
    assert.equal(globex.json?.error, 'invalid_target');

    // Refresh for acme: a new pair; the old refresh token is spent (rotation).
    const refreshed = await token({ grant_type: 'refresh_token', refresh_token: refreshToken, tenant: 'acme' });
    assert.equal(refreshed.status, 200, refreshed.text);
    const nextAccess = refreshed.json?.access_token as string;
    const nextRefresh = refreshed.json?.refresh_token as string;
    assert.equal(typeof nextAccess, 'string');
    assert.equal(typeof nextRefresh, 'string');
    assert.notEqual(nextAccess, accessToken);
    assert.notEqual(nextRefresh, refreshToken);
    assert.equal(jwtPayload(nextAccess).tenant, 'acme');
    const again = await token({ grant_type: 'refresh_token', refresh_token: refreshToken, tenant: 'acme' });
    assert.equal(again.status, 400, again.text);
    assert.equal(again.json?.error, 'invalid_grant');

    // The code was single-use (a replay would also revoke its grant, hence last).
    const replay = await token({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri });
    assert.equal(replay.status, 400, replay.text);
    assert.equal(replay.json?.error, 'invalid_grant');
  });

  it('remembered consent: alice signing in again for the same scopes goes straight back to the app with a code', async () => {
    const { challenge } = pkcePair();
    const state = randomBytes(16).toString('base64url');
    const page = await freshPage();
    const response = await page.goto(authorizeUrl(state, challenge));
    assert.equal(response?.status(), 200);
    await page.fill('input[name=username]', 'alice');
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForURL((url) => url.href.startsWith(redirectUri)), page.click('button[type=submit]')]);
    const callback = new URL(page.url());
    assert.ok(callback.searchParams.get('code'), callback.href);
    assert.equal(callback.searchParams.get('state'), state);
    assert.equal(callback.searchParams.get('iss'), issuer);
  });

  it('consent that grows: alice asked for globex (tenant hint) sees the consent page again, acme (granted) and globex (hinted) checked', async () => {
    const { verifier, challenge } = pkcePair();
    const state = randomBytes(16).toString('base64url');
    const page = await freshPage();
    await signIn(page, state, challenge, 'alice', PASSWORD, { tenant: 'globex' });
    assert.equal(await page.title(), 'Authorize access', 'globex is not covered by the remembered consent');
    assert.equal(await page.getByLabel('Acme Corp').isChecked(), true, 'granted before');
    assert.equal(await page.getByLabel('Globex').isChecked(), true, 'hinted');
    await screenshotAtWidths(page, 'consent');
    const callback = await decide(page, 'Allow');
    const code = callback.searchParams.get('code');
    assert.ok(code, callback.href);
    const exchanged = await token({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri, tenant: 'globex' });
    assert.equal(exchanged.status, 200, exchanged.text);
    assert.equal(jwtPayload(exchanged.json?.access_token as string).tenant, 'globex');
  });

  it('the landing page at / names the issuer and links the metadata, which the browser can follow', async () => {
    const page = await freshPage();
    const response = await page.goto(`${server.url}/`);
    assert.equal(response?.status(), 200);
    assert.equal(await page.title(), 'Gatehouse');
    assert.match((await page.locator('main').textContent()) ?? '', new RegExp(`Its issuer is ${issuer.replace(/\./g, '\\.')}`));
    await screenshotAtWidths(page, 'landing');
    await Promise.all([page.waitForURL((url) => url.pathname === '/.well-known/oauth-authorization-server'), page.getByRole('link', { name: 'Authorization server metadata' }).click()]);
    assert.match((await page.locator('body').textContent()) ?? '', /"issuer"/);
  });

  it("the login and error pages wear the branding: the tenant's name, logo and accent, the deployment's footer links (screenshots)", async () => {
    const { challenge } = pkcePair();
    const page = await freshPage();
    const response = await page.goto(authorizeUrl(randomBytes(8).toString('base64url'), challenge));
    assert.equal(response?.status(), 200);
    assert.equal(await page.locator('.tenant-brand img').getAttribute('alt'), 'Acme Corp', "the client's tenant: its logo, named by its display name");
    const logoWidth = await page.locator('.tenant-brand img').evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth);
    assert.ok(logoWidth > 0, 'the SVG logo loads from this origin under the page CSP');
    const primary = await page.locator('button[type=submit]').evaluate((button) => (globalThis as unknown as { getComputedStyle(element: unknown): { backgroundColor: string } }).getComputedStyle(button).backgroundColor);
    assert.equal(primary, 'rgb(15, 118, 110)', "the primary button wears acme's accent");
    assert.equal(await page.getByRole('link', { name: 'Terms of service' }).getAttribute('href'), 'https://docs.example.com/terms');
    assert.equal(await page.getByRole('link', { name: 'Privacy policy' }).getAttribute('href'), 'https://docs.example.com/privacy');
    await screenshotAtWidths(page, 'login');

    await page.fill('input[name=username]', 'alice');
    await page.fill('input[name=password]', 'not-the-password');
    await Promise.all([page.waitForURL((url) => url.pathname === '/oauth/authorize/login'), page.click('button[type=submit]')]);
    assert.equal(await page.getByRole('alert').textContent(), 'Incorrect username or password.');

    const error = await page.goto(`${server.url}/oauth/authorize?response_type=code&client_id=no-such-client`);
    assert.equal(error?.status(), 400);
    assert.equal(await page.locator('.tenant-brand').count(), 0, 'an error page is for no tenant');
    await screenshotAtWidths(page, 'error');
  });

  it('accessibility: every field has a label, headings go in order, text contrast ≥ 4.5:1 light and dark, 44 px targets, Allow is the default and primary button', async () => {
    const { challenge } = pkcePair();
    const page = await freshPage();
    const audit = async (name: string) => {
      const unlabelled = await page.evaluate(`[...document.querySelectorAll('input:not([type=hidden]), select, textarea')].filter((field) => field.labels.length === 0).map((field) => field.name)`);
      assert.deepEqual(unlabelled, [], `${name}: every field has a label`);
      const levels = (await page.evaluate(`[...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].map((heading) => Number(heading.tagName[1]))`)) as number[];
      assert.equal(levels[0], 1, `${name}: the first heading is the h1`);
      assert.equal(levels.filter((level) => level === 1).length, 1, `${name}: one h1`);
      levels.forEach((level, i) => assert.ok(i === 0 || level <= levels[i - 1]! + 1, `${name}: no heading level skipped (${levels.join(' ')})`));
      const small = await page.evaluate(`[...document.querySelectorAll('button, input:not([type=hidden]):not([type=checkbox]), .site-footer a')].filter((target) => target.getBoundingClientRect().height < 44).map((target) => target.outerHTML.slice(0, 60))`);
      assert.deepEqual(small, [], `${name}: touch targets are at least 44 px tall`);
      for (const scheme of SCHEMES) {
        await page.emulateMedia({ colorScheme: scheme });
        const poor = await page.evaluate(CONTRAST_PROBE);
        assert.deepEqual(poor, [], `${name} (${scheme}): text contrast is at least 4.5:1`);
      }
      await page.emulateMedia({ colorScheme: 'light' });
    };

    await page.goto(`${server.url}/`);
    await audit('landing');
    await page.goto(`${server.url}/oauth/authorize?response_type=code&client_id=no-such-client`);
    await audit('error');
    // bob has no remembered consent: he sees the consent page (and decides nothing here).
    await signIn(page, randomBytes(8).toString('base64url'), challenge, 'bob', BOB_PASSWORD);
    await audit('consent');
    const buttons = page.locator('form[action="/oauth/authorize/consent"] button[type=submit]');
    assert.equal(await buttons.first().getAttribute('value'), 'allow', 'Allow is the first submit button: the default on Enter');
    assert.equal(await buttons.first().getAttribute('class'), null, 'Allow is styled as the primary action');
    assert.equal(await buttons.nth(1).getAttribute('class'), 'secondary', 'Deny is secondary');
    const [allow, deny] = await buttons.evaluateAll((all) => all.map((button) => (globalThis as unknown as { getComputedStyle(element: unknown): { backgroundColor: string } }).getComputedStyle(button).backgroundColor));
    assert.notEqual(allow, deny, 'Allow and Deny look different');
  });

  it('deny path: a fresh browser, login, Deny → callback with error=access_denied, the state and iss', async () => {
    const { challenge } = pkcePair();
    const state = randomBytes(16).toString('base64url');
    const page = await freshPage();
    // bob has not consented yet (alice's consent is remembered and would skip the page).
    await signIn(page, state, challenge, 'bob', BOB_PASSWORD);
    assert.equal(await page.title(), 'Authorize access');
    assert.match((await page.locator('main').textContent()) ?? '', /Workspace: Acme Corp \(acme\)/, 'a user of one tenant sees it by name, without a picker');
    const callback = await decide(page, 'Deny');
    assert.equal(callback.pathname, '/callback');
    assert.equal(callback.searchParams.get('error'), 'access_denied');
    assert.equal(callback.searchParams.get('state'), state);
    assert.equal(callback.searchParams.get('iss'), issuer);
    assert.equal(callback.searchParams.get('code'), null);
  });
});
