/**
 * The dashboard's sign-in in a REAL browser (chromium through playwright-core) against a
 * real `gatehouse serve` process, set up with the real CLI: an operator signs in with the
 * keyboard, enrols TOTP (the test computes the codes, as an authenticator app would),
 * saves the recovery codes, logs out, and signs in again with password and code.
 * Screenshots at desktop and phone widths go to test/e2e/screenshots/ (git-ignored).
 *
 * The browser is GATEHOUSE_TEST_BROWSER, else /usr/bin/chromium; without either the
 * suite is skipped.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { type Browser, type Page } from 'playwright-core';
import { base32Decode, totpCode } from '../../packages/server/src/core/totp.js';
import { launchBrowser, SKIP_BROWSER } from '../helpers/browser.js';
import { startSqliteServer, type SqliteServer } from '../helpers/process.js';


const SCREENSHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
const VIEWPORTS = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } } as const;
const PASSWORD = 'operator-pass-phrase-1';
const BROWSER_TIMEOUT_MS = 15_000;

/** Saves the page at each width as admin-<name>-<width>.png; fails if the page scrolls sideways. */
async function screenshotAtWidths(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  for (const [label, viewport] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(viewport);
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    assert.equal(overflow, 0, `${name} fits the ${label} width`);
    await page.screenshot({ path: join(SCREENSHOTS, `admin-${name}-${label}.png`), fullPage: true });
  }
  await page.setViewportSize(VIEWPORTS.desktop);
}

describe('real browser: operator sign-in, TOTP enrolment, sign-in with the second factor', { skip: SKIP_BROWSER }, () => {
  let gatehouse: SqliteServer;
  let browser: Browser;

  before(async () => {
    browser = await launchBrowser();
    gatehouse = await startSqliteServer('gatehouse-admin-browser-');
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await gatehouse?.close();
  });

  it('logs how to create the first operator, then the operator signs in, enrols TOTP and signs in again with a code', async () => {
    const hint = gatehouse.server.logLines().find((line) => typeof line.msg === 'string' && line.msg.includes('no operator account yet'));
    assert.ok(hint, 'serve says how to create an operator');
    assert.match(String(hint.msg), /gatehouse admin create --username NAME --password-stdin/);
    await gatehouse.cli(['admin', 'create', '--username', 'ops', '--password-stdin'], `${PASSWORD}\n`);

    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(BROWSER_TIMEOUT_MS);
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`${message.text()} (${message.location().url})`);
    });
    page.on('pageerror', (error) => problems.push(error.message));
    const base = gatehouse.server.url;
    try {
      await page.goto(`${base}/admin`);
      assert.equal(new URL(page.url()).pathname, '/admin/login', 'an anonymous visitor is sent to the sign-in page');
      await screenshotAtWidths(page, 'login');

      // Keyboard only: the username field has the focus, Tab reaches the password, Enter submits.
      await page.keyboard.type('ops');
      await page.keyboard.press('Tab');
      await page.keyboard.type(PASSWORD);
      await Promise.all([page.waitForURL(`${base}/admin`), page.keyboard.press('Enter')]);
      assert.match((await page.textContent('body')) ?? '', /signed in as ops, operator/);
      await screenshotAtWidths(page, 'home');

      await page.getByRole('link', { name: 'turn it on' }).click();
      await page.waitForURL(`${base}/admin/account/mfa`);
      const secretText = (await page.textContent('#totp-secret'))!.trim();
      const secret = base32Decode(secretText)!;
      assert.equal(secret.length, 20, 'a 160-bit secret');
      await screenshotAtWidths(page, 'mfa-enrol');
      await page.getByLabel('Code from the app').fill(totpCode(secret, Date.now()));
      await page.getByRole('button', { name: 'Turn on' }).click();
      await page.waitForSelector('#recovery-codes');
      const codes = await page.locator('#recovery-codes code').allTextContents();
      assert.equal(codes.length, 10);
      await screenshotAtWidths(page, 'recovery-codes');
      await page.getByRole('link', { name: /back to the dashboard/ }).click();
      await page.waitForURL(`${base}/admin`);
      assert.match((await page.textContent('body')) ?? '', /Two-step verification\s*on/);

      await page.getByRole('button', { name: 'Sign out ops' }).click();
      await page.waitForURL(`${base}/admin/login`);

      await page.getByLabel('Username').fill('ops');
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForSelector('text=Enter the 6-digit code');
      await screenshotAtWidths(page, 'second-factor');
      // The enrolment used the current step; the next one is within the ±1 step allowed.
      await page.getByLabel('Code').fill(totpCode(secret, Date.now() + 30_000));
      await Promise.all([page.waitForURL(`${base}/admin`), page.getByRole('button', { name: 'Verify' }).click()]);
      assert.match((await page.textContent('body')) ?? '', /signed in as ops/);

      const cookies = await context.cookies();
      const session = cookies.find((cookie) => cookie.name === 'gatehouse_admin_session');
      assert.ok(session?.httpOnly, 'the session cookie is HttpOnly');
      assert.deepEqual(problems, [], 'no console errors (CSP violations included)');
    } finally {
      await context.close();
    }
  });
});
