/**
 * A tenant admin in a REAL browser (Debian's chromium, driven by playwright-core) against a
 * real `gatehouse serve` process: signed in, they see and change their own tenant only.
 * Another tenant's pages answer 404 (nothing about it is shown, not even that it exists),
 * the operators' pages 403, and the audit log holds their tenant's events only.
 *
 * The browser is GATEHOUSE_TEST_BROWSER, else /usr/bin/chromium when it exists; without
 * either the suite is skipped (as test/e2e/browser.test.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { launchBrowser, SKIP_BROWSER } from '../helpers/browser.js';
import { startSqliteServer, type SqliteServer } from '../helpers/process.js';

const BROWSER_TIMEOUT_MS = 15_000;
const PASSWORD = 'tenant-admin-long-password-1';

describe("real browser: a tenant admin cannot open another tenant's pages", { skip: SKIP_BROWSER }, () => {
  let gatehouse: SqliteServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let url: string;

  before(async () => {
    browser = await launchBrowser();
    gatehouse = await startSqliteServer('gatehouse-tenant-admin-browser-');
    url = gatehouse.server.url;
    await gatehouse.cli(['tenant', 'create', 'acme', '--name', 'Acme Corp']);
    await gatehouse.cli(['tenant', 'create', 'globex', '--name', 'Globex Secret Projects']);
    await gatehouse.cli(['client', 'create', '--tenant', 'globex', '--name', 'Globex Payroll']);
    await gatehouse.cli(['admin', 'create', '--tenant', 'acme', '--username', 'tara', '--password-stdin'], `${PASSWORD}\n`);
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

  it('signs in, lands on its own tenant, and gets 404 for another tenant and 403 for the operators\' pages', async () => {
    await page.goto(`${url}/admin/login`);
    await page.getByLabel('Username').fill('tara');
    await page.getByLabel('Password').fill(PASSWORD);
    await Promise.all([page.waitForURL((here) => here.pathname === '/admin'), page.getByRole('button', { name: /sign in/i }).click()]);

    const tenants = await page.goto(`${url}/admin/tenants`);
    assert.equal(tenants?.status(), 200);
    assert.equal(new URL(page.url()).pathname, '/admin/tenants/acme', 'the tenant list sends a tenant admin to its own tenant');
    assert.equal(await page.locator('h1').textContent(), 'Acme Corp');

    for (const path of ['/admin/tenants/globex', '/admin/tenants/globex/clients', '/admin/tenants/globex/users', '/admin/tenants/globex/scopes']) {
      const response = await page.goto(`${url}${path}`);
      assert.equal(response?.status(), 404, path);
      const text = (await page.locator('body').textContent()) ?? '';
      assert.doesNotMatch(text, /Globex Secret Projects|Globex Payroll/, `${path} shows nothing of globex`);
    }
    for (const path of ['/admin/keys']) {
      const response = await page.goto(`${url}${path}`);
      assert.equal(response?.status(), 403, path);
    }

    // The audit log is this tenant's, whatever the filter asks for.
    for (const path of ['/admin/audit', '/admin/audit?tenant=globex']) {
      const audit = await page.goto(`${url}${path}`);
      assert.equal(audit?.status(), 200, path);
      const text = (await page.locator('main').textContent()) ?? '';
      assert.match(text, /tenant\.create/, `${path}: this tenant's own events are listed`);
      assert.doesNotMatch(text, /Globex Payroll|globex/, `${path}: this tenant's events only`);
    }
  });
});
