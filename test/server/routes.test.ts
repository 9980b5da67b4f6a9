/** Framework errors, metadata members and GET /healthz, through fastify.inject. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestGatehouse, TEST_ISSUER, type TestGatehouse } from '../helpers/gatehouse.js';
import { sleep } from '../helpers/timing.js';

describe('errors raised by Fastify before routing', () => {
  let t: TestGatehouse;
  before(async () => {
    t = await createTestGatehouse();
  });
  after(() => t.close());

  for (const url of ['/oauth/%zz', '/oauth/token%E0%A4%A?token=abc', '/%']) {
    it(`answers ${url} with our 400 invalid_request JSON, not Fastify's body`, async () => {
      const response = await t.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'a=b' });
      assert.equal(response.statusCode, 400);
      assert.match(String(response.headers['content-type']), /^application\/json/);
      const body = response.json();
      assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description', 'message']);
      assert.equal(body.error, 'invalid_request');
      assert.equal(body.message, body.error_description);
      assert.ok(!response.body.includes('FST_'), 'no Fastify error code');
      assert.ok(!response.body.includes('%'), 'the URL is not echoed');
      assert.equal(response.headers['cache-control'], 'no-store');
      assert.equal(response.headers['x-content-type-options'], 'nosniff');
      assert.equal(response.headers['x-frame-options'], 'DENY');
    });
  }

  it('publishes only registered RFC 8414 metadata members (no access_token_signing_alg_values_supported)', async () => {
    const metadata = (await t.app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' })).json();
    assert.equal(metadata.issuer, TEST_ISSUER);
    assert.equal('access_token_signing_alg_values_supported' in metadata, false);
  });
});

describe('GET /healthz', () => {
  it('answers {"status":"ok"} when the database answers and a signing key loads', async () => {
    const t = await createTestGatehouse();
    try {
      const response = await t.app.inject({ method: 'GET', url: '/healthz' });
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json(), { status: 'ok' });
    } finally {
      await t.close();
    }
  });

  it('answers 503 temporarily_unavailable while no signing key can be loaded, 200 once one exists', async () => {
    const { gatehouse, app, close } = await createTestGatehouse({ config: { keyRefreshInterval: 50 }, signingKey: false });
    try {
      const down = await app.inject({ method: 'GET', url: '/healthz' });
      assert.equal(down.statusCode, 503, down.body);
      assert.equal(down.json().error, 'temporarily_unavailable');
      assert.match(String(down.headers['retry-after']), /^[1-9][0-9]*$/);
      assert.doesNotMatch(down.body, /signing key|keys rotate/, 'no internal detail');
      await gatehouse.admin.keys.ensureActive('ES256');
      await sleep(100);
      const up = await app.inject({ method: 'GET', url: '/healthz' });
      assert.equal(up.statusCode, 200, up.body);
      assert.deepEqual(up.json(), { status: 'ok' });
    } finally {
      await close();
    }
  });
});
