/**
 * The landing page at `/` (issue 14): what this server is, with links to its metadata and
 * keys, served with the authorization pages' security headers, through fastify.inject.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { createTestGatehouse, TEST_ISSUER, type TestGatehouse } from '../helpers/gatehouse.js';

const CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

function assertPageHeaders(response: LightMyRequestResponse): void {
  assert.equal(response.statusCode, 200);
  assert.equal(response.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(response.headers['content-security-policy'], CSP);
  assert.equal(response.headers['x-frame-options'], 'DENY');
  assert.equal(response.headers['x-content-type-options'], 'nosniff');
  assert.equal(response.headers['referrer-policy'], 'no-referrer');
  assert.equal(response.headers['cache-control'], 'no-store');
}

describe('GET / (the landing page)', () => {
  let t: TestGatehouse;
  before(async () => {
    t = await createTestGatehouse();
  });
  after(() => t.close());

  it('is an HTML page with the security headers of the authorization pages, no script, the shared stylesheet', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/' });
    assertPageHeaders(response);
    assert.match(response.body, /^<!doctype html>/);
    assert.doesNotMatch(response.body, /<script/i);
    assert.doesNotMatch(response.body, /\sstyle=|<style/i, 'no inline style either (the CSP allows none)');
    assert.match(response.body, /<link rel="stylesheet" href="\/oauth\/assets\/gatehouse.css">/);
    const css = await t.app.inject({ method: 'GET', url: '/oauth/assets/gatehouse.css' });
    assert.equal(css.statusCode, 200);
  });

  it('says what the server is (Gatehouse, the issuer) and links to the metadata and the JWKS, which answer', async () => {
    const { body } = await t.app.inject({ method: 'GET', url: '/' });
    assert.match(body, /<h1>Gatehouse<\/h1>/);
    assert.match(body, new RegExp(`<code>${TEST_ISSUER}</code>`));
    const links = [...body.matchAll(/href="([^"]+)"/g)].map((match) => match[1]!).filter((href) => !/\.(css|svg)$/.test(href));
    assert.deepEqual(links, [`${TEST_ISSUER}/.well-known/oauth-authorization-server`, `${TEST_ISSUER}/.well-known/jwks.json`]);
    for (const link of links) {
      const response = await t.app.inject({ method: 'GET', url: new URL(link).pathname });
      assert.equal(response.statusCode, 200, link);
    }
    for (const endpoint of ['/oauth/authorize', '/oauth/token', '/oauth/introspect', '/oauth/revoke']) {
      assert.ok(body.includes(`<code>${TEST_ISSUER}${endpoint}</code>`), endpoint);
    }
    assert.doesNotMatch(body, /\/admin|\/account/, 'no link to pages that do not exist');
  });

  it('answers HEAD / with the same headers and no body', async () => {
    const response = await t.app.inject({ method: 'HEAD', url: '/' });
    assertPageHeaders(response);
    assert.equal(response.body, '');
  });

  it('leaves other unknown paths a JSON 404', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/nothing-here' });
    assert.equal(response.statusCode, 404);
    assert.match(String(response.headers['content-type']), /^application\/json/);
  });
});

describe('GET / for an issuer with a path', () => {
  const issuer = "https://auth.example.com/o'&x";
  let t: TestGatehouse;
  before(async () => {
    t = await createTestGatehouse({ config: { issuer } });
  });
  after(() => t.close());

  it('shows the issuer HTML-escaped, and the metadata where RFC 8414 §3.1 puts it', async () => {
    const { body, statusCode } = await t.app.inject({ method: 'GET', url: '/' });
    assert.equal(statusCode, 200);
    assert.ok(body.includes('<code>https://auth.example.com/o&#39;&amp;x</code>'), 'escaped');
    assert.ok(!body.includes(issuer), 'never raw');
    assert.ok(body.includes('href="https://auth.example.com/.well-known/oauth-authorization-server/o&#39;&amp;x"'));
    assert.ok(body.includes('href="https://auth.example.com/o&#39;&amp;x/.well-known/jwks.json"'));
    assert.doesNotMatch(body, /<script/i);
  });
});
