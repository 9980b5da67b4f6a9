/**
 * Issue 16 (Low): an empty body is no body, whatever its framing. A bodyless POST framed
 * as `Transfer-Encoding: chunked` without `Content-Type` was refused with 400
 * "unsupported request body media type" on routes that take no body, and the OAuth
 * endpoints refused a non-form body before checking the client's credentials.
 *
 * Over a listening server with node:http: fastify.inject does not frame a body as chunked.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth } from '../helpers/tokens.js';
import { caller, createTenantClient, uploadOk, type ApiCaller } from '../demo/helpers.js';

interface Answer {
  status: number;
  body: string;
}

/** Sends `method url` with the headers and `chunks` framed as chunked transfer coding (none: just the last chunk). */
function sendChunked(base: string, method: string, url: string, headers: Record<string, string>, chunks: string[] = []): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(url, base), { method, headers: { ...headers, 'transfer-encoding': 'chunked' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe('an empty body is no body, whatever its framing', () => {
  let t: TestGatehouse;
  let base: string;
  let acme: ApiCaller;
  let file: string;

  before(async () => {
    t = await createTestGatehouse();
    acme = await caller(t.app, await createTenantClient(t.gatehouse, 'acme', 'Acme Corp'));
    file = await uploadOk(t.app, acme, 'hello');
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  after(() => t.close());

  it('publishes and unpublishes a demo file with a chunked empty body and no Content-Type', async () => {
    const published = await sendChunked(base, 'POST', `/api/files/${file}/publish`, acme.headers());
    assert.equal(published.status, 200, published.body);
    assert.match(published.body, /download_url/);
    const withdrawn = await sendChunked(base, 'DELETE', `/api/files/${file}/publish`, acme.headers());
    assert.equal(withdrawn.status, 204, withdrawn.body);
  });

  it('still refuses content without a media type, and a media type no route parses', async () => {
    const content = await sendChunked(base, 'POST', `/api/files/${file}/publish`, acme.headers(), ['x']);
    assert.equal(content.status, 400);
    assert.match(content.body, /unsupported request body media type/);
    const unknown = await sendChunked(base, 'POST', `/api/files/${file}/publish`, acme.headers({ 'content-type': 'text/xml' }), ['<x/>']);
    assert.equal(unknown.status, 400);
    assert.match(unknown.body, /unsupported request body media type/);
  });

  for (const endpoint of ['/oauth/token', '/oauth/introspect', '/oauth/revoke']) {
    it(`${endpoint}: checks the client's credentials before the body, and takes an empty chunked body as no parameters`, async () => {
      const client = acme.client;
      if (endpoint !== '/oauth/token') {
        // (The token endpoint checks grant_type first, as it always did.)
        const wrong = await sendChunked(base, 'POST', endpoint, { authorization: basicAuth(client.clientId, 'wrong-secret') });
        assert.equal(wrong.status, 401, wrong.body);
        assert.equal(JSON.parse(wrong.body).error, 'invalid_client');
      }
      const wrongJson = await sendChunked(base, 'POST', endpoint, { authorization: basicAuth(client.clientId, 'wrong-secret'), 'content-type': 'application/json' }, ['{"token":"x"}']);
      assert.equal(wrongJson.status, 401, wrongJson.body);

      const right = await sendChunked(base, 'POST', endpoint, { authorization: basicAuth(client.clientId, client.secret) });
      assert.equal(right.status, 400, right.body);
      assert.equal(JSON.parse(right.body).error, 'invalid_request');
      assert.match(JSON.parse(right.body).error_description, endpoint === '/oauth/token' ? /grant_type parameter is required/ : /token parameter is required/);
      const rightJson = await sendChunked(base, 'POST', endpoint, { authorization: basicAuth(client.clientId, client.secret), 'content-type': 'application/json' }, ['{"token":"x"}']);
      assert.equal(rightJson.status, 400, rightJson.body);
      assert.match(JSON.parse(rightJson.body).error_description, /must be application\/x-www-form-urlencoded/);
    });
  }

  it('/oauth/token without an Authorization header still names the media type it needs', async () => {
    const answer = await sendChunked(base, 'POST', '/oauth/token', { 'content-type': 'application/json' }, ['{"grant_type":"client_credentials"}']);
    assert.equal(answer.status, 400, answer.body);
    assert.match(JSON.parse(answer.body).error_description, /must be application\/x-www-form-urlencoded/);
  });
});
