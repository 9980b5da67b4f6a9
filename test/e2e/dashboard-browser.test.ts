/**
 * The dashboard in a REAL browser (Debian's chromium, driven by playwright-core) against a
 * real `gatehouse serve` process, as an operator lives the customer workflow: sign in →
 * tenant → API clients → New client (name, scopes) → copy the secret shown once → use it
 * at /oauth/token → rotate it without grace → the old secret is refused at once.
 * Screenshots of the main pages at desktop and phone widths go to test/e2e/screenshots/
 * (git-ignored), and no page may scroll sideways at phone width.
 *
 * The browser is GATEHOUSE_TEST_BROWSER, else /usr/bin/chromium when it exists; without
 * either the suite is skipped (as test/e2e/browser.test.ts).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { launchBrowser, SKIP_BROWSER } from '../helpers/browser.js';
import { startSqliteServer, type SqliteServer } from '../helpers/process.js';
import { postForm } from '../helpers/http.js';
import { basicAuth, jwtPayload } from '../helpers/tokens.js';


const SCREENSHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
const VIEWPORTS = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } } as const;
const BROWSER_TIMEOUT_MS = 15_000;
const OPERATOR_PASSWORD = 'operator-long-password-1';

/** Saves the page at each width as dashboard-<name>-<width>.png; fails if the page scrolls sideways. */
async function screenshotAtWidths(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  for (const [label, viewport] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(viewport);
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    assert.equal(overflow, 0, `${name} fits the ${label} width`);
    await page.screenshot({ path: join(SCREENSHOTS, `dashboard-${name}-${label}.png`), fullPage: true });
  }
  await page.setViewportSize(VIEWPORTS.desktop);
}

describe('real browser: the dashboard, from sign-in to a rotated client secret', { skip: SKIP_BROWSER }, () => {
  let gatehouse: SqliteServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let url: string;

  before(async () => {
    browser = await launchBrowser();
    gatehouse = await startSqliteServer('gatehouse-dashboard-browser-');
    url = gatehouse.server.url;
    await gatehouse.cli(['admin', 'create', '--username', 'olivia', '--password-stdin'], `${OPERATOR_PASSWORD}\n`);
    await gatehouse.cli(['tenant', 'create', 'acme', '--name', 'Acme Corp']);
    await gatehouse.cli(['scope', 'create', '--tenant', 'acme', 'documents:read', '--description', 'Read your documents']);
    await gatehouse.cli(['scope', 'create', '--tenant', 'acme', 'documents:write', '--description', 'Upload and publish documents']);
    context = await browser.newContext();
    context.setDefaultTimeout(BROWSER_TIMEOUT_MS);
    context.setDefaultNavigationTimeout(BROWSER_TIMEOUT_MS);
    page = await context.newPage();
  });

  after(async () => {
    await context?.close().catch(() => {});
    await browser?.close().catch(() => {});
    await gatehouse?.close();
  });

  const token = (clientId: string, secret: string) => postForm(`${url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basicAuth(clientId, secret) });

  it('an operator creates a client, uses the secret shown once, rotates it without grace, and the old secret is refused', async () => {
    // Sign in.
    await page.goto(`${url}/admin/login`);
    await page.getByLabel('Username').fill('olivia');
    await page.getByLabel('Password').fill(OPERATOR_PASSWORD);
    await Promise.all([page.waitForURL((here) => here.pathname === '/admin'), page.getByRole('button', { name: /sign in/i }).click()]);

    // Tenants → Acme Corp → API clients → New client.
    await page.goto(`${url}/admin/tenants`);
    assert.equal(await page.locator('h1').textContent(), 'Tenants');
    await screenshotAtWidths(page, 'tenants');
    await page.getByRole('link', { name: 'Acme Corp' }).click();
    assert.equal(await page.locator('h1').textContent(), 'Acme Corp');
    await screenshotAtWidths(page, 'tenant');
    await page.getByRole('link', { name: 'API clients' }).first().click();
    await page.getByRole('link', { name: 'New client' }).click();
    assert.equal(await page.locator('h1').textContent(), 'New client');
    await page.getByLabel('Name', { exact: true }).fill('Billing sync');
    await page.getByLabel('documents:read').check();
    await screenshotAtWidths(page, 'new-client');
    await page.getByRole('button', { name: 'Create client' }).click();

    // The secret, shown once, with its warning; the copy button appears (its script runs under the CSP).
    assert.equal(await page.locator('h1').textContent(), 'Client created');
    assert.match((await page.locator('main').textContent()) ?? '', /it will not be shown again/);
    const clientId = await page.locator('#client-id').inputValue();
    const secret = await page.locator('#client-secret').inputValue();
    assert.ok(clientId.length > 10 && secret.length > 40, 'client id and secret are shown');
    assert.equal(await page.locator('button[data-copy="client-secret"]').isVisible(), true, 'the copy button is shown when the script runs');
    await screenshotAtWidths(page, 'client-created');

    // The secret works at the token endpoint, with the scopes chosen in the form.
    const first = await token(clientId, secret);
    assert.equal(first.status, 200, first.text);
    assert.equal(jwtPayload(first.json?.access_token as string).scope, 'documents:read');

    // The client page: rotate, stopping the old secret now (the default choice).
    await page.getByRole('link', { name: 'Done' }).click();
    assert.equal(await page.locator('h1').textContent(), 'Billing sync');
    await screenshotAtWidths(page, 'client');
    assert.equal(await page.getByLabel('Stop it now').isChecked(), true);
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    assert.equal(await page.locator('h1').textContent(), 'New client secret');
    assert.match((await page.locator('main').textContent()) ?? '', /The old secret no longer works/);
    const rotated = await page.locator('#client-secret').inputValue();
    assert.notEqual(rotated, secret);

    const old = await token(clientId, secret);
    assert.equal(old.status, 401, `the old secret is refused at once: ${old.text}`);
    const fresh = await token(clientId, rotated);
    assert.equal(fresh.status, 200, fresh.text);

    // The other main pages, for the screenshots.
    for (const [name, path] of [
      ['clients', '/admin/tenants/acme/clients'],
      ['scopes', '/admin/tenants/acme/scopes'],
      ['users', '/admin/tenants/acme/users'],
      ['keys', '/admin/keys'],
      ['audit', '/admin/audit'],
    ] as const) {
      const response = await page.goto(`${url}${path}`);
      assert.equal(response?.status(), 200, path);
      await screenshotAtWidths(page, name);
    }
    assert.match((await page.locator('main').textContent()) ?? '', /client\.rotate_secret/);
  });

  it('an operator invites a tenant admin and sets the branding from the tenant page', async () => {
    await page.goto(`${url}/admin/tenants/acme`);
    await page.getByLabel('Username').fill('tom');
    await page.getByLabel('Initial password', { exact: true }).fill(OPERATOR_PASSWORD);
    await page.getByLabel('Initial password, again').fill(OPERATOR_PASSWORD);
    await page.getByRole('button', { name: 'Create tenant admin' }).click();
    assert.match((await page.locator('main').textContent()) ?? '', /The admin account was created/);
    assert.equal(await page.locator('#admins + p + .table-wrap td', { hasText: 'tom' }).count(), 1);

    await page.getByLabel('Accent colour').fill('#7a1f5c');
    await page.getByLabel('Terms URL').fill('https://acme.example/terms');
    await page.getByRole('button', { name: 'Save branding' }).click();
    assert.match((await page.locator('main').textContent()) ?? '', /The branding was saved/);
    assert.equal(await page.getByLabel('Accent colour').inputValue(), '#7a1f5c');

    // The logo: a real browser's multipart form (csrf_token before the file), then shown and removed.
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><rect width="40" height="40" fill="#7a1f5c"/></svg>';
    await page.getByLabel('Logo', { exact: true }).setInputFiles({ name: 'acme.svg', mimeType: 'image/svg+xml', buffer: Buffer.from(svg) });
    await page.getByRole('button', { name: 'Upload logo' }).click();
    assert.match((await page.locator('main').textContent()) ?? '', /The logo was uploaded/);
    const logo = page.getByRole('img', { name: 'Acme Corp logo' });
    assert.equal(await logo.evaluate((img) => { const loaded = img as unknown as { complete: boolean; naturalWidth: number }; return loaded.complete && loaded.naturalWidth > 0; }), true, 'the logo loads');
    await screenshotAtWidths(page, 'tenant-admins');
    await page.getByRole('button', { name: 'Remove logo' }).click();
    assert.match((await page.locator('main').textContent()) ?? '', /The logo was removed/);
    assert.equal(await page.getByRole('img', { name: 'Acme Corp logo' }).count(), 0);

    for (const [name, path] of [
      ['home', '/admin'],
      ['operators', '/admin/operators'],
    ] as const) {
      const response = await page.goto(`${url}${path}`);
      assert.equal(response?.status(), 200, path);
      await screenshotAtWidths(page, name);
    }
  });
});
