/**
 * @gatehouse-auth/client in a REAL browser (Debian's chromium, driven by playwright-core): the
 * compiled dist/client modules, loaded as they are, get a token from a real `gatehouse
 * serve` process and call the demo API, and build a PKCE authorization request with
 * WebCrypto. Proves the SDK needs nothing Node-only. The page and the SDK are served by a
 * local front on the same origin as the server (Gatehouse sends no CORS headers).
 *
 * Skipped without a browser, like test/e2e/browser.test.ts (GATEHOUSE_TEST_BROWSER, else
 * /usr/bin/chromium).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Browser } from 'playwright-core';
import { launchBrowser, SKIP_BROWSER } from '../helpers/browser.js';
import { startFront, startGatehouse, type RealGatehouse } from './helpers.js';

const DIST_CLIENT = fileURLToPath(new URL('../../packages/client/dist/', import.meta.url));

/**
 * Runs in the page, as plain JavaScript (a string, so that no compiler helper leaks into it):
 * the SDK as a browser module, against the same origin. It is given the page's own fetch,
 * unbound (`fetch: fetch`): called as a method of another object, it throws "Illegal
 * invocation". The token requests are counted by the front.
 */
const IN_PAGE = `async ({ clientId, clientSecret }) => {
  const sdk = await import(location.origin + '/sdk/index.js');
  const client = sdk.clientCredentials({ tokenEndpoint: location.origin + '/oauth/token', clientId, clientSecret, scope: 'documents:read', fetch: fetch });
  const tokens = await Promise.all(Array.from({ length: 20 }, () => client.getToken()));
  const tenants = await (await client.authorizedFetch(location.origin + '/api/tenants')).json();
  const request = await sdk.createAuthorizationRequest({ authorizationEndpoint: location.origin + '/oauth/authorize', clientId, redirectUri: 'https://app.example.com/cb' });
  const challenge = new URL(request.url).searchParams.get('code_challenge');
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(request.codeVerifier)));
  const expected = btoa(String.fromCharCode(...digest)).replace(/[+]/g, '-').replace(/[/]/g, '_').replace(/=+$/, '');
  const wrong = sdk.clientCredentials({ tokenEndpoint: location.origin + '/oauth/token', clientId, clientSecret: 'wrong' });
  const error = await wrong.getToken().catch((caught) => ({ name: caught.name, error: caught.error, status: caught.status, isTyped: caught instanceof sdk.TokenEndpointError }));
  return { distinct: new Set(tokens).size, tenants, challengeMatches: challenge === expected, verifierLength: request.codeVerifier.length, error };
}`;

describe('@gatehouse-auth/client in a real browser', { skip: SKIP_BROWSER }, () => {
  let gatehouse: RealGatehouse;
  let front: Awaited<ReturnType<typeof startFront>>;
  let browser: Browser;
  let credentials: { clientId: string; clientSecret: string };

  before(async () => {
    browser = await launchBrowser();
    gatehouse = await startGatehouse();
    credentials = await gatehouse.createClient();
    // /sdk/<file>.js: the compiled SDK; /page: an empty page; everything else: Gatehouse.
    front = await startFront(gatehouse.server.url, (request, _body, response) => {
      const path = new URL(request.url ?? '/', 'http://front').pathname;
      if (path === '/page') {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>SDK</title>');
        return true;
      }
      const file = /^\/sdk\/([a-z-]+\.js)$/.exec(path)?.[1];
      if (!file) return false;
      if (!existsSync(`${DIST_CLIENT}${file}`)) {
        response.writeHead(404).end();
        return true;
      }
      response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(readFileSync(`${DIST_CLIENT}${file}`));
      return true;
    });
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await front?.close();
    await gatehouse?.close();
  });

  it('gets a token (single flight), calls the demo API and builds a PKCE request with web APIs only', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(`${front.url}/page`);
      const result = (await page.evaluate(`(${IN_PAGE})(${JSON.stringify(credentials)})`)) as Record<string, unknown>;
      assert.deepEqual(errors, []);
      assert.equal(result.distinct, 1);
      const tokenRequests = front.requests.filter((request) => request.method === 'POST' && request.path === '/oauth/token');
      assert.equal(tokenRequests.length, 2, 'one shared by the 20 concurrent callers, one with the wrong secret');
      assert.deepEqual(result.tenants, { tenants: [{ slug: 'acme', name: 'Acme' }] });
      assert.equal(result.challengeMatches, true);
      assert.equal(result.verifierLength, 43);
      assert.deepEqual(result.error, { name: 'TokenEndpointError', error: 'invalid_client', status: 401, isTyped: true });
    } finally {
      await context.close();
    }
  });
});
