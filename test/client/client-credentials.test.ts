/**
 * @gatehouse-auth/client's machine-to-machine flow against a REAL `gatehouse serve` process,
 * set up with the real CLI: the token cache, single flight, renewal, typed errors,
 * authorizedFetch against the demo document API.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { clientCredentials, TokenEndpointError } from '../../packages/client/src/index.js';
import { manualClock, recordingFetch, startGatehouse, type RealGatehouse } from './helpers.js';
import { postForm } from '../helpers/http.js';
import { waitFor } from '../helpers/timing.js';
import { basicAuth, jwtPayload } from '../helpers/tokens.js';

describe('clientCredentials against a real Gatehouse', () => {
  let gatehouse: RealGatehouse;

  before(async () => {
    gatehouse = await startGatehouse();
  });
  after(() => gatehouse?.close());

  it('100 concurrent getToken() calls make exactly one token request and get the same token', async () => {
    const credentials = await gatehouse.createClient();
    const recorder = recordingFetch(gatehouse.tokenEndpoint);
    const client = clientCredentials({ issuer: gatehouse.issuer, ...credentials, scope: 'documents:read', fetch: recorder.fetch });
    const before = gatehouse.tokenRequestsLogged();

    const tokens = await Promise.all(Array.from({ length: 100 }, () => client.getToken()));

    assert.equal(new Set(tokens).size, 1);
    assert.equal(recorder.tokenRequests().length, 1, 'one token request left the SDK');
    assert.equal(await gatehouse.waitForTokenRequestsLogged(before + 1), before + 1, 'and the server saw exactly one');
    const discovery = recorder.requests.filter((request) => request.url.includes('/.well-known/'));
    assert.equal(discovery.length, 1, 'the metadata was read once');
    const claims = jwtPayload(tokens[0]!);
    assert.equal(claims.client_id, credentials.clientId);
    assert.equal(claims.scope, 'documents:read');

    // Later calls are served from the cache.
    assert.equal(await client.getToken(), tokens[0]);
    assert.equal(recorder.tokenRequests().length, 1);
  });

  it('renews inside the renewBefore window and not before', async () => {
    const credentials = await gatehouse.createClient({ args: ['--access-token-ttl', '70s'] });
    const recorder = recordingFetch(gatehouse.tokenEndpoint);
    const clock = manualClock();
    const client = clientCredentials({ issuer: gatehouse.issuer, ...credentials, renewBefore: 60, fetch: recorder.fetch, clock: clock.now });
    const start = clock.now();

    const first = await client.getTokenSet();
    assert.equal(first.expiresIn, 70);
    assert.equal(first.expiresAt, start + 70_000, 'the expiry counts from when the request was sent');

    clock.set(start + 9_999); // 60.001 s left: still outside the window
    assert.equal(await client.getToken(), first.accessToken);
    assert.equal(recorder.tokenRequests().length, 1);

    clock.set(start + 10_001); // 59.999 s left: inside the window
    const renewed = await client.getToken();
    assert.notEqual(renewed, first.accessToken);
    assert.equal(recorder.tokenRequests().length, 2);

    clock.set(start + 10_002);
    assert.equal(await client.getToken(), renewed, 'the renewed token is cached in turn');
    assert.equal(recorder.tokenRequests().length, 2);
  });

  it('keeps one cache entry per scope set (order and duplicates ignored) and per tenant', async () => {
    const credentials = await gatehouse.createClient();
    const recorder = recordingFetch(gatehouse.tokenEndpoint);
    const client = clientCredentials({ issuer: gatehouse.issuer, ...credentials, fetch: recorder.fetch });

    const readWrite = await client.getToken({ scope: 'documents:write documents:read' });
    assert.equal(await client.getToken({ scope: ['documents:read', 'documents:write', 'documents:read'] }), readWrite);
    assert.equal(await client.getToken({ scope: ' documents:read  documents:write ' }), readWrite);
    const read = await client.getToken({ scope: 'documents:read' });
    assert.notEqual(read, readWrite);
    assert.equal(jwtPayload(read).scope, 'documents:read');
    assert.equal(jwtPayload(readWrite).scope, 'documents:read documents:write');
    assert.equal(recorder.tokenRequests().length, 2);

    const forAcme = await client.getToken({ scope: 'documents:read', tenant: 'acme' });
    const forGlobex = await client.getToken({ scope: 'documents:read', tenant: 'globex' });
    assert.notEqual(forAcme, read);
    assert.notEqual(forGlobex, forAcme);
    assert.equal(await client.getToken({ scope: 'documents:read', tenant: 'acme' }), forAcme);
    const sent = recorder.tokenRequests().map((request) => [request.form!.get('scope'), request.form!.get('tenant')]);
    assert.deepEqual(sent, [
      ['documents:read documents:write', null],
      ['documents:read', null],
      ['documents:read', 'acme'],
      ['documents:read', 'globex'],
    ]);
  });

  for (const authMethod of ['client_secret_basic', 'client_secret_post'] as const) {
    it(`authenticates with ${authMethod}, and a rotated secret is a typed invalid_client error (401)`, async () => {
      const credentials = await gatehouse.createClient();
      const recorder = recordingFetch(gatehouse.tokenEndpoint);
      const client = clientCredentials({ issuer: gatehouse.issuer, ...credentials, authMethod, fetch: recorder.fetch });
      await client.getToken();
      const sent = recorder.tokenRequests()[0]!;
      if (authMethod === 'client_secret_basic') {
        assert.equal(sent.headers.get('authorization'), basicAuth(credentials.clientId, credentials.clientSecret));
        assert.equal(sent.form!.get('client_secret'), null);
      } else {
        assert.equal(sent.headers.get('authorization'), null);
        assert.equal(sent.form!.get('client_secret'), credentials.clientSecret);
      }

      await gatehouse.rotateSecret(credentials.clientId);
      client.clear();
      const error = await client.getToken().then(
        () => assert.fail('a rotated secret must not get a token'),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof TokenEndpointError, String(error));
      assert.equal(error.error, 'invalid_client');
      assert.equal(error.status, 401);
      assert.equal(error.retryable, false);
      assert.equal(recorder.tokenRequests().length, 2, 'a 401 is not retried');
      assert.ok(!error.message.includes(credentials.clientSecret));
    });
  }

  it('a failed request is shared by its concurrent callers and does not poison the cache', async () => {
    const credentials = await gatehouse.createClient();
    let failing = true;
    const recorder = recordingFetch(gatehouse.tokenEndpoint);
    const client = clientCredentials({
      issuer: gatehouse.issuer,
      ...credentials,
      // The secret is wrong until `failing` is switched off.
      fetch: (input, init) => {
        if (failing && init?.method === 'POST') return recorder.fetch(input, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: basicAuth(credentials.clientId, 'wrong') } });
        return recorder.fetch(input, init);
      },
    });
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => client.getToken()));
    assert.equal(recorder.tokenRequests().length, 1);
    const reasons = new Set(results.map((result) => (result.status === 'rejected' ? result.reason : 'fulfilled')));
    assert.equal(reasons.size, 1, 'every caller got the same error');
    assert.equal(([...reasons][0] as TokenEndpointError).error, 'invalid_client');

    failing = false;
    const token = await client.getToken();
    assert.equal(jwtPayload(token).client_id, credentials.clientId);
    assert.equal(recorder.tokenRequests().length, 2, 'the next call tried again');
  });

  it('authorizedFetch calls the demo API with the token and X-Tenant', async () => {
    const credentials = await gatehouse.createClient();
    const recorder = recordingFetch(gatehouse.tokenEndpoint);
    const client = clientCredentials({ issuer: gatehouse.issuer, ...credentials, scope: 'documents:read documents:write', tenant: 'acme', fetch: recorder.fetch });

    const tenants = await client.authorizedFetch(`${gatehouse.server.url}/api/tenants`);
    assert.equal(tenants.status, 200);
    assert.deepEqual(await tenants.json(), { tenants: [{ slug: 'acme', name: 'Acme' }] });

    const upload = new FormData();
    upload.append('file', new Blob(['hello']), 'hello.txt');
    const uploaded = await client.authorizedFetch(`${gatehouse.server.url}/api/files`, { method: 'POST', body: upload });
    assert.equal(uploaded.status, 201, await uploaded.clone().text());
    const files = await client.authorizedFetch(`${gatehouse.server.url}/api/files`);
    assert.equal(files.status, 200);
    assert.deepEqual(((await files.json()) as { files: { name: string }[] }).files.map((file) => file.name), ['hello.txt']);

    const apiCalls = recorder.requests.filter((request) => request.url.includes('/api/'));
    assert.ok(apiCalls.every((request) => request.headers.get('x-tenant') === 'acme'));
    assert.equal(recorder.tokenRequests().length, 1);
  });

  it('authorizedFetch replaces a revoked token once (401 invalid_token) and retries the request', async () => {
    const credentials = await gatehouse.createClient();
    const recorder = recordingFetch(gatehouse.tokenEndpoint);
    const client = clientCredentials({ issuer: gatehouse.issuer, ...credentials, fetch: recorder.fetch });
    const url = `${gatehouse.server.url}/api/tenants`;
    const revoked = await client.getToken();
    assert.equal((await client.authorizedFetch(url)).status, 200);

    // RFC 7009, then wait until the API (which follows the revocation feed) refuses the token.
    const revocation = await postForm(`${gatehouse.server.url}/oauth/revoke`, { token: revoked }, { authorization: basicAuth(credentials.clientId, credentials.clientSecret) });
    assert.equal(revocation.status, 200);
    await waitFor('the API to refuse the revoked token', async () => {
      const response = await fetch(url, { headers: { authorization: `Bearer ${revoked}` } });
      await response.arrayBuffer();
      return response.status === 401 ? true : undefined;
    });

    const before = recorder.requests.length;
    const response = await client.authorizedFetch(url);
    assert.equal(response.status, 200);
    const sent = recorder.requests.slice(before);
    assert.deepEqual(
      sent.map((request) => (request.url === url ? `API ${request.headers.get('authorization') === `Bearer ${revoked}` ? 'old' : 'new'}` : 'token')),
      ['API old', 'token', 'API new'],
      'one 401, one new token, one retry',
    );
    assert.notEqual(await client.getToken(), revoked, 'the new token is cached');
  });
});
