/**
 * /account in a REAL browser (chromium via playwright-core) against a real `gatehouse
 * serve` process: the user authorizes an application (sign-in, consent), opens /account —
 * already signed in, the sign-in session is shared — sees the application, revokes it,
 * and the application's refresh token stops working at /oauth/token. Then signs out.
 * Screenshots under test/e2e/screenshots/ (git-ignored). Skipped without a browser, as
 * browser.test.ts is.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { launchBrowser, SKIP_BROWSER } from '../helpers/browser.js';
import { postForm } from '../helpers/http.js';
import { startSqliteServer, type SqliteServer } from '../helpers/process.js';
import { pkcePair } from '../helpers/tokens.js';

const SCREENSHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
const PASSWORD = 'correct-horse-battery-staple';
const BROWSER_TIMEOUT_MS = 15_000;

describe('real browser: /account shows the connected application, Revoke stops its refresh token', { skip: SKIP_BROWSER }, () => {
  let gatehouse: SqliteServer;
  let browser: Browser;
  let context: BrowserContext;
  let integrator: Server;
  let redirectUri: string;
  let clientId: string;
  const violations: string[] = [];

  before(async () => {
    integrator = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('done'));
    await new Promise<void>((resolve) => integrator.listen(0, '127.0.0.1', resolve));
    const address = integrator.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    redirectUri = `http://127.0.0.1:${address.port}/callback`;
    browser = await launchBrowser();
    gatehouse = await startSqliteServer('gatehouse-account-browser-');
    const cli = gatehouse.cli;
    await cli(['tenant', 'create', 'acme', '--name', 'Acme Corp']);
    await cli(['user', 'create', '--tenant', 'acme', '--username', 'alice', '--password-stdin'], `${PASSWORD}\n`);
    await cli(['scope', 'create', '--tenant', 'acme', 'documents:read', '--description', 'Read your documents']);
    const client = await gatehouse.cliJson<{ client_id: string }>([
      'client', 'create', '--tenant', 'acme', '--name', 'Acme Desktop Sync',
      '--grant-type', 'authorization_code', '--grant-type', 'refresh_token',
      '--redirect-uri', redirectUri, '--scope', 'documents:read', '--public',
    ]);
    clientId = client.client_id;
    context = await browser.newContext();
    context.setDefaultTimeout(BROWSER_TIMEOUT_MS);
    context.setDefaultNavigationTimeout(BROWSER_TIMEOUT_MS);
  });

  after(async () => {
    await context?.close().catch(() => {});
    await browser?.close().catch(() => {});
    await gatehouse?.close();
    if (integrator) await new Promise<void>((resolve) => integrator.close(() => resolve()).closeAllConnections());
  });

  async function screenshot(page: Page, name: string): Promise<void> {
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  }

  it('authorize → /account (already signed in) → Revoke → the refresh token is refused → sign out', async () => {
    const page = await context.newPage();
    // A CSP violation (inline script or style) would be reported on the console.
    page.on('console', (message) => {
      if (message.type() === 'error') violations.push(message.text());
    });
    const { verifier, challenge } = pkcePair();
    const query = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: redirectUri, scope: 'documents:read', state: 'st', code_challenge: challenge, code_challenge_method: 'S256' });
    await page.goto(`${gatehouse.server.url}/oauth/authorize?${query}`);
    await page.fill('input[name=username]', 'alice');
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForURL((url) => url.pathname === '/oauth/authorize/login'), page.click('button[type=submit]')]);
    await Promise.all([page.waitForURL((url) => url.href.startsWith(redirectUri)), page.getByRole('button', { name: 'Allow', exact: true }).click()]);
    const code = new URL(page.url()).searchParams.get('code');
    assert.ok(code, 'the callback carries a code');
    const exchanged = await postForm(`${gatehouse.server.url}/oauth/token`, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri, client_id: clientId });
    assert.equal(exchanged.status, 200, exchanged.text);
    const refreshToken = exchanged.json?.refresh_token as string;

    // /account: the same sign-in session, no password asked.
    const response = await page.goto(`${gatehouse.server.url}/account`);
    assert.match(response?.headers()['content-security-policy'] ?? '', /frame-ancestors 'none'/);
    assert.equal(await page.locator('h1').textContent(), 'Your account');
    const main = (await page.locator('main').textContent()) ?? '';
    assert.match(main, /Signed in as alice/);
    assert.equal(await page.locator('section.application h3').textContent(), 'Acme Desktop Sync');
    assert.match(main, /Registered by Acme Corp/);
    assert.match(main, /documents:read — Read your documents/);
    assert.match(main, /Workspaces: Acme Corp/);
    await screenshot(page, 'account-connected');

    await Promise.all([page.waitForURL((url) => url.search === '?notice=revoked'), page.getByRole('button', { name: 'Revoke access of Acme Desktop Sync' }).click()]);
    const revoked = (await page.locator('main').textContent()) ?? '';
    assert.match(revoked, /Access revoked/);
    assert.match(revoked, /No application has access to your account\./);
    await screenshot(page, 'account-revoked');

    const refused = await postForm(`${gatehouse.server.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId });
    assert.equal(refused.status, 400, refused.text);
    assert.equal(refused.json?.error, 'invalid_grant');

    await Promise.all([page.waitForURL((url) => url.search === '?notice=signed-out'), page.getByRole('button', { name: 'Sign out' }).click()]);
    assert.equal(await page.locator('h1').textContent(), 'Sign in');
    assert.match((await page.locator('main').textContent()) ?? '', /You are signed out\./);
    await screenshot(page, 'account-signed-out');
    assert.deepEqual(violations, [], 'no console errors (CSP violations)');
  });
});
