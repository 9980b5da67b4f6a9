/**
 * How @gatehouse-auth/resource protects the demo API inside `gatehouse serve`: scopes, the
 * X-Tenant rule, tenant isolation, query tokens, revocation, and that none of it leaks
 * onto the OAuth endpoints.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { readDocumentApiSettings } from '@gatehouse-auth/example-document-api';
import { keyRingKeySource } from '../../packages/server/src/server/resource-adapters.js';
import { openGatehouse } from '../../packages/server/src/server/context.js';
import { createTestGatehouse, postForm, type TestGatehouse } from '../helpers/gatehouse.js';
import { sleep } from '../helpers/timing.js';
import { basicAuth } from '../helpers/tokens.js';
import { caller, createTenantClient, multipart, upload, uploadOk, type ApiCaller } from './helpers.js';

const MISSING_ID = '00000000-0000-4000-8000-000000000000';

describe('demo API: protection', () => {
  let t: TestGatehouse;
  let acme: ApiCaller;
  let globex: ApiCaller;
  let acmeFile: string;

  before(async () => {
    t = await createTestGatehouse();
    acme = await caller(t.app, await createTenantClient(t.gatehouse, 'acme', 'Acme Corp'));
    globex = await caller(t.app, await createTenantClient(t.gatehouse, 'globex', 'Globex Inc'));
    acmeFile = await uploadOk(t.app, acme, 'acme only');
  });
  after(() => t.close());

  const inject = (method: 'GET' | 'POST' | 'DELETE', url: string, headers: Record<string, string>) => t.app.inject({ method, url, headers });

  describe('scopes', () => {
    const cases: { method: 'GET' | 'POST' | 'DELETE'; url: () => string; needs: string; has: string }[] = [
      { method: 'GET', url: () => '/api/files', needs: 'documents:read', has: 'documents:write documents:delete' },
      { method: 'GET', url: () => `/api/files/${acmeFile}`, needs: 'documents:read', has: 'documents:write' },
      { method: 'GET', url: () => `/api/files/${acmeFile}/content`, needs: 'documents:read', has: 'documents:write' },
      { method: 'POST', url: () => '/api/files', needs: 'documents:write', has: 'documents:read documents:delete' },
      { method: 'DELETE', url: () => `/api/files/${acmeFile}`, needs: 'documents:delete', has: 'documents:read documents:write' },
      { method: 'POST', url: () => `/api/files/${acmeFile}/publish`, needs: 'documents:write', has: 'documents:read' },
      { method: 'DELETE', url: () => `/api/files/${acmeFile}/publish`, needs: 'documents:write', has: 'documents:read documents:delete' },
    ];
    for (const { method, url, needs, has } of cases) {
      it(`${method} ${url().replace(/[0-9a-f-]{36}/, ':id')} without ${needs}: 403 insufficient_scope naming the scope`, async () => {
        const limited = await caller(t.app, acme.client, has);
        const response = await inject(method, url(), limited.headers());
        assert.equal(response.statusCode, 403, response.body);
        const challenge = String(response.headers['www-authenticate']);
        assert.match(challenge, /^Bearer realm="[^"]+", error="insufficient_scope"/);
        assert.match(challenge, new RegExp(`scope="${needs}"`));
        assert.equal((response.json() as { error: string }).error, 'insufficient_scope');
      });
    }

    it('the file survived every refused request above', async () => {
      const response = await inject('GET', `/api/files/${acmeFile}/content`, acme.headers());
      assert.equal(response.statusCode, 200);
      assert.equal(response.body, 'acme only');
    });
  });

  describe('tokens', () => {
    it('no token: 401 with a bare Bearer challenge, on every /api route', async () => {
      for (const [method, url] of [
        ['GET', '/api/tenants'],
        ['GET', '/api/files'],
        ['POST', '/api/files'],
        ['GET', `/api/files/${acmeFile}`],
        ['GET', `/api/files/${acmeFile}/content`],
        ['DELETE', `/api/files/${acmeFile}`],
        ['POST', `/api/files/${acmeFile}/publish`],
        ['DELETE', `/api/files/${acmeFile}/publish`],
      ] as const) {
        const response = await inject(method, url, { 'x-tenant': 'acme' });
        assert.equal(response.statusCode, 401, `${method} ${url}`);
        assert.match(String(response.headers['www-authenticate']), /^Bearer realm="[^"]+"$/, `${method} ${url}`);
      }
    });

    it('a garbage or tampered token: 401 invalid_token', async () => {
      const [header, payload, signature] = acme.token.split('.');
      const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), tenant: 'globex' })).toString('base64url');
      for (const token of ['garbage', `${header}.${forged}.${signature}`]) {
        const response = await inject('GET', '/api/files', { authorization: `Bearer ${token}`, 'x-tenant': 'globex' });
        assert.equal(response.statusCode, 401);
        assert.match(String(response.headers['www-authenticate']), /error="invalid_token"/);
      }
    });
  });

  describe('tenants', () => {
    it('X-Tenant is required on the file routes: 403 without it', async () => {
      const response = await inject('GET', '/api/files', { authorization: `Bearer ${acme.token}` });
      assert.equal(response.statusCode, 403);
      assert.match(String(response.headers['www-authenticate']), /error="insufficient_scope"/);
    });

    it("X-Tenant naming another tenant than the token's: 403", async () => {
      for (const url of ['/api/files', `/api/files/${acmeFile}`, `/api/files/${acmeFile}/content`]) {
        const response = await inject('GET', url, globex.headers({ 'x-tenant': 'acme' }));
        assert.equal(response.statusCode, 403, url);
        assert.match(String(response.headers['www-authenticate']), /error="insufficient_scope"/);
      }
    });

    it("a file of tenant A is invisible to tenant B's token: 404 on every route, as for a file that does not exist", async () => {
      const { id: publicDoc } = (await upload(t.app, acme, 'acme')).json() as { id: string };
      for (const id of [acmeFile, MISSING_ID]) {
        for (const [method, url] of [
          ['GET', `/api/files/${id}`],
          ['GET', `/api/files/${id}/content`],
          ['DELETE', `/api/files/${id}`],
          ['POST', `/api/files/${id}/publish`],
          ['DELETE', `/api/files/${id}/publish`],
        ] as const) {
          const response = await inject(method, url, globex.headers());
          assert.equal(response.statusCode, 404, `${method} ${url}`);
          assert.deepEqual(Object.keys(response.json() as object).sort(), ['error', 'error_description', 'message']);
          assert.equal((response.json() as { error: string }).error, 'not_found');
        }
      }
      const listed = (await inject('GET', '/api/files', globex.headers())).json() as { files: { id: string }[] };
      assert.ok(!listed.files.some((file) => file.id === acmeFile || file.id === publicDoc), "tenant B's list holds none of A's files");
      const still = await inject('GET', `/api/files/${acmeFile}/content`, acme.headers());
      assert.equal(still.statusCode, 200, "B's delete and publish attempts left A's file alone");
      assert.equal((await inject('GET', `/api/files/${acmeFile}`, acme.headers())).statusCode, 200);
    });

    it('malformed ids answer 404 JSON', async () => {
      for (const id of ['nope', '1', MISSING_ID.toUpperCase(), `${MISSING_ID}x`, '..%2F..%2Fmaster.key', '%00', "'%20OR%201=1"]) {
        for (const url of [`/api/files/${id}`, `/api/files/${id}/content`]) {
          const response = await inject('GET', url, acme.headers());
          assert.equal(response.statusCode, 404, url);
          assert.equal((response.json() as { error: string }).error, 'not_found', url);
        }
      }
    });
  });

  describe('?access_token=', () => {
    it('is accepted on /content, with Cache-Control: no-store and Referrer-Policy: no-referrer', async () => {
      const response = await inject('GET', `/api/files/${acmeFile}/content?access_token=${acme.token}`, { 'x-tenant': 'acme' });
      assert.equal(response.statusCode, 200, response.body);
      assert.equal(response.body, 'acme only');
      assert.equal(response.headers['cache-control'], 'no-store');
      assert.equal(response.headers['referrer-policy'], 'no-referrer');
    });

    it('is refused with 400 invalid_request on every other route', async () => {
      for (const [method, url] of [
        ['GET', '/api/tenants'],
        ['GET', '/api/files'],
        ['GET', `/api/files/${acmeFile}`],
        ['DELETE', `/api/files/${acmeFile}`],
        ['POST', `/api/files/${acmeFile}/publish`],
      ] as const) {
        const response = await inject(method, `${url}?access_token=${acme.token}`, { 'x-tenant': 'acme' });
        assert.equal(response.statusCode, 400, `${method} ${url}`);
        assert.match(String(response.headers['www-authenticate']), /error="invalid_request"/);
      }
      assert.equal((await inject('GET', `/api/files/${acmeFile}`, acme.headers())).statusCode, 200, 'the DELETE above did not run');
    });

    it('a token both in the header and in the query is refused on /content', async () => {
      const response = await inject('GET', `/api/files/${acmeFile}/content?access_token=${acme.token}`, acme.headers());
      assert.equal(response.statusCode, 400);
    });
  });

  describe('revocation', () => {
    it("rotating the client's secret without grace makes its earlier token 401 within about a second", async () => {
      const client = await createTenantClient(t.gatehouse, 'acme', 'Acme Corp');
      const who = await caller(t.app, client);
      assert.equal((await inject('GET', '/api/files', who.headers())).statusCode, 200);
      await t.gatehouse.admin.clients.rotateSecret(client.clientId);
      const start = Date.now();
      let status = 200;
      while (Date.now() - start < 1_500) {
        status = (await inject('GET', '/api/files', who.headers())).statusCode;
        if (status !== 200) break;
        await sleep(50);
      }
      assert.equal(status, 401, `still ${status} after ${Date.now() - start} ms`);
      const response = await inject('GET', '/api/files', who.headers());
      assert.match(String(response.headers['www-authenticate']), /error="invalid_token"/);
      assert.equal((await inject('GET', '/api/files', acme.headers())).statusCode, 200, "another client's token is unaffected");
    });
  });

  describe('the OAuth endpoints are untouched', () => {
    it('/oauth/token needs no Bearer token and still reads a form body', async () => {
      const response = await postForm(t.app, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basicAuth(acme.client.clientId, acme.client.secret) });
      assert.equal(response.statusCode, 200);
    });

    it('a multipart body at /oauth/token is still an OAuth invalid_request, not parsed as an upload', async () => {
      const body = multipart([{ name: 'grant_type', content: 'client_credentials' }]);
      const response = await t.app.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: { ...body.headers, authorization: basicAuth(acme.client.clientId, acme.client.secret) },
        payload: body.payload,
      });
      assert.equal(response.statusCode, 400);
      assert.equal((response.json() as { error: string }).error, 'invalid_request');
      assert.equal(response.headers['www-authenticate'], undefined);
    });

    it('/.well-known and /healthz answer without a token', async () => {
      assert.equal((await inject('GET', '/.well-known/jwks.json', {})).statusCode, 200);
      assert.equal((await inject('GET', '/.well-known/oauth-authorization-server', {})).statusCode, 200);
      assert.equal((await inject('GET', '/healthz', {})).statusCode, 200);
    });

    it('an unknown URL under /api answers 404, not 401', async () => {
      const response = await inject('GET', '/api/nothing-here', {});
      assert.equal(response.statusCode, 404);
    });
  });
});

describe('demo API: the GATEHOUSE_DEMO_API switch', () => {
  it('GATEHOUSE_DEMO_API=false removes every demo route (404), and the OAuth endpoints still work', async () => {
    const t = await createTestGatehouse({ env: { GATEHOUSE_DEMO_API: 'false' } });
    try {
      const who = await caller(t.app, await createTenantClient(t.gatehouse, 'acme', 'Acme Corp'));
      for (const [method, url] of [
        ['GET', '/api/tenants'],
        ['GET', '/api/files'],
        ['POST', '/api/files'],
        ['GET', `/api/files/${MISSING_ID}/content`],
        ['GET', `/files/${MISSING_ID}/download`],
      ] as const) {
        const response = await t.app.inject({ method, url, headers: who.headers() });
        assert.equal(response.statusCode, 404, `${method} ${url}`);
        assert.equal((response.json() as { error: string }).error, 'not_found');
      }
    } finally {
      await t.close();
    }
  });

  it('is on by default (a loopback issuer)', async () => {
    const t = await createTestGatehouse({ env: {} });
    try {
      assert.equal(readDocumentApiSettings({}, t.config.issuer).enabled, true);
      assert.equal((await t.app.inject({ method: 'GET', url: '/api/files' })).statusCode, 401);
    } finally {
      await t.close();
    }
  });
});

describe('demo API: signing keys of the in-process verifier', () => {
  it("keyRingKeySource.cachedKey answers from the ring's current view only", async () => {
    let now = Date.now();
    const t = await createTestGatehouse({ clock: () => now });
    try {
      const source = keyRingKeySource(t.gatehouse.keys);
      const [published] = await t.gatehouse.admin.keys.listPublished();
      const kid = published!.kid;
      t.gatehouse.keys.invalidate();
      assert.equal(source.cachedKey!(kid), undefined, 'not read yet: getKey must read the store');
      const loaded = await source.getKey(kid);
      assert.ok(loaded);
      assert.equal(source.cachedKey!(kid)?.key, loaded.key, 'the same key, without waiting');
      assert.equal(source.cachedKey!('no-such-kid'), undefined);
      now += t.config.keyRefreshInterval - 1;
      assert.equal(source.cachedKey!(kid)?.key, loaded.key, 'still within keyRefreshInterval');
      now += 1;
      assert.equal(source.cachedKey!(kid), undefined, 'keyRefreshInterval old: the store is read again first');
      assert.equal((await source.getKey(kid))?.key, loaded.key);
      t.gatehouse.keys.invalidate();
      assert.equal(source.cachedKey!(kid), undefined, 'invalidated (a rotation in this process): read again first');
    } finally {
      await t.close();
    }
  });

  it('a key withdrawn by another process is refused, even for a token answered from the cache', async () => {
    // End to end: both the key ring (keyRefreshInterval) and the revocation feed
    // (withdrawn_keys) carry the withdrawal; the test above covers the key ring alone.
    const t = await createTestGatehouse({ config: { keyRefreshInterval: 50 } });
    // The CLI: a second process on the same database, so this server's key ring is not told.
    const cli = await openGatehouse(t.config, { migrate: 'if-fresh' });
    try {
      const who = await caller(t.app, await createTenantClient(t.gatehouse, 'acme', 'Acme Corp'));
      for (let i = 0; i < 3; i++) assert.equal((await inject(t, who)).statusCode, 200);
      const oldKid = (await cli.admin.keys.listPublished())[0]!.kid;
      await cli.admin.keys.rotate();
      await cli.admin.keys.withdraw(oldKid);
      let refused: LightMyRequestResponse | undefined;
      for (let waited = 0; waited < 5_000 && !refused; waited += 25) {
        const response = await inject(t, who);
        if (response.statusCode === 200) await sleep(25);
        else refused = response;
      }
      assert.ok(refused, 'still accepted 5 s after the withdrawal');
      assert.equal(refused.statusCode, 401);
      assert.match(String(refused.headers['www-authenticate']), /error="invalid_token"/);
    } finally {
      await cli.close();
      await t.close();
    }
  });

  function inject(t: TestGatehouse, who: ApiCaller): Promise<LightMyRequestResponse> {
    return t.app.inject({ method: 'GET', url: '/api/files', headers: who.headers() });
  }
});
