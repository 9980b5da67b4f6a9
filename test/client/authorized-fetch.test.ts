/**
 * authorizedFetch against a local API that refuses revoked tokens with RFC 6750's
 * `401 invalid_token`: which requests are retried with a new token (bodies that can be
 * sent again), which are not (streams, other 401s), and the headers it sets.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { parseChallenges } from '../../packages/client/src/authorized-fetch.js';
import { clientCredentials, isInvalidToken } from '../../packages/client/src/index.js';

interface Received {
  method: string;
  authorization: string | undefined;
  tenant: string | undefined;
  body: string;
}

describe('authorizedFetch', () => {
  let server: Server;
  let api: string;
  const received: Received[] = [];
  /** Tokens the API refuses with invalid_token. */
  const revoked = new Set<string>();
  /** When set, the API answers every request 401 with this challenge. */
  let challenge: string | undefined;

  before(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const authorization = request.headers.authorization;
        received.push({ method: request.method!, authorization, tenant: request.headers['x-tenant'] as string | undefined, body: Buffer.concat(chunks).toString('utf8') });
        const token = authorization?.replace(/^Bearer /, '') ?? '';
        if (challenge !== undefined || revoked.has(token)) {
          response.writeHead(401, { 'www-authenticate': challenge ?? 'Bearer realm="api", error="invalid_token", error_description="the access token has been revoked"' }).end();
          return;
        }
        response.writeHead(200, { 'content-type': 'text/plain' }).end(`ok ${token}`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    api = `http://127.0.0.1:${(server.address() as { port: number }).port}/files`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve()).closeAllConnections()));

  /** A client whose token endpoint mints token-1, token-2, … (counted). */
  function newClient(options: { tenant?: string } = {}) {
    let minted = 0;
    const client = clientCredentials({
      tokenEndpoint: 'https://as.test/token',
      clientId: 'c',
      clientSecret: 's',
      ...options,
      fetch: async (input, init) => {
        if (String(input) === 'https://as.test/token') {
          return new Response(JSON.stringify({ access_token: `token-${++minted}-${Math.random()}`, token_type: 'Bearer', expires_in: 600 }), { status: 200 });
        }
        return fetch(input, init);
      },
    });
    return { client, minted: () => minted };
  }

  const fresh = () => {
    received.length = 0;
    challenge = undefined;
  };

  it('sends the token and X-Tenant, and leaves an X-Tenant set by the caller alone', async () => {
    fresh();
    const { client } = newClient({ tenant: 'acme' });
    const token = await client.getToken();
    assert.equal(await (await client.authorizedFetch(api)).text(), `ok ${token}`);
    await client.authorizedFetch(api, { headers: { 'x-tenant': 'globex' } });
    await client.authorizedFetch(new Request(api, { headers: { 'x-custom': '1' } }));
    assert.deepEqual(received.map((request) => [request.authorization, request.tenant]), [
      [`Bearer ${token}`, 'acme'],
      [`Bearer ${token}`, 'globex'],
      [`Bearer ${token}`, 'acme'],
    ]);
  });

  for (const [what, body] of [
    ['a string body', () => 'name=report.pdf'],
    ['URLSearchParams', () => new URLSearchParams({ name: 'report.pdf' })],
    ['a Blob', () => new Blob(['name=report.pdf'])],
  ] as const) {
    it(`a POST with ${what} is retried once with a new token after 401 invalid_token, with the same body`, async () => {
      fresh();
      const { client, minted } = newClient();
      revoked.add(await client.getToken());
      const response = await client.authorizedFetch(api, { method: 'POST', body: body() });
      assert.equal(response.status, 200);
      assert.equal(minted(), 2);
      assert.equal(received.length, 2);
      assert.deepEqual(received.map((request) => request.body), ['name=report.pdf', 'name=report.pdf']);
      assert.notEqual(received[0]!.authorization, received[1]!.authorization);
    });
  }

  it('a Request with a body is retried too (it was cloned before the first attempt)', async () => {
    fresh();
    const { client } = newClient();
    revoked.add(await client.getToken());
    const response = await client.authorizedFetch(new Request(api, { method: 'PUT', body: 'new content' }));
    assert.equal(response.status, 200);
    assert.deepEqual(received.map((request) => [request.method, request.body]), [['PUT', 'new content'], ['PUT', 'new content']]);
  });

  it('a stream body is not sent twice: the 401 is returned, and the next request gets a new token', async () => {
    fresh();
    const { client, minted } = newClient();
    const old = await client.getToken();
    revoked.add(old);
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('streamed'));
        controller.close();
      },
    });
    const response = await client.authorizedFetch(api, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    assert.equal(response.status, 401);
    assert.equal(received.length, 1);
    assert.equal(minted(), 1, 'no token fetched for a retry that cannot happen');
    assert.equal((await client.authorizedFetch(api)).status, 200);
    assert.notEqual(await client.getToken(), old, 'the refused token was dropped');
  });

  it('a 401 that is not invalid_token (e.g. no error attribute) is returned as it is, the token kept', async () => {
    fresh();
    const { client, minted } = newClient();
    const token = await client.getToken();
    challenge = 'Bearer realm="api"';
    const response = await client.authorizedFetch(api);
    assert.equal(response.status, 401);
    assert.equal(received.length, 1);
    assert.equal(minted(), 1);
    assert.equal(await client.getToken(), token);
  });

  it('retries only once: an API that refuses every token costs two requests', async () => {
    fresh();
    const { client, minted } = newClient();
    challenge = 'Bearer error="invalid_token"';
    const response = await client.authorizedFetch(api);
    assert.equal(response.status, 401);
    assert.equal(received.length, 2);
    assert.equal(minted(), 2);
  });

  it('recognizes the invalid_token challenge in its RFC 6750 spellings', () => {
    const is = (header: string, status = 401) => isInvalidToken(new Response(null, { status, headers: { 'www-authenticate': header } }));
    assert.equal(is('Bearer error="invalid_token"'), true);
    assert.equal(is('Bearer realm="x", error="invalid_token", error_description="expired"'), true);
    assert.equal(is('Basic realm="x", Bearer error=invalid_token'), true);
    assert.equal(is('bearer error="invalid_token"'), true);
    assert.equal(is('Negotiate abc123==, Bearer realm="a \\"quoted\\", realm", error="invalid_token"'), true);
    assert.equal(is('Bearer error="insufficient_scope"'), false);
    assert.equal(is('Bearer error="invalid_token_x"'), false);
    assert.equal(is('DPoP error="invalid_token"'), false);
    assert.equal(is('Bearer error="invalid_token"', 403), false);
  });

  it("reads error from the Bearer challenge only, and not from inside another parameter's quoted value", () => {
    const is = (header: string) => isInvalidToken(new Response(null, { status: 401, headers: { 'www-authenticate': header } }));
    assert.equal(is('DPoP error="invalid_token", Bearer realm="x"'), false, "the DPoP challenge's error");
    assert.equal(is('Bearer error="insufficient_scope", error_description="the scope is wrong, not error=invalid_token"'), false, 'inside a quoted-string');
    assert.equal(is('DPoP algs="ES256", Bearer realm="x", error="invalid_token"'), true);
  });

  it('parses WWW-Authenticate into challenges (RFC 7235 §4.1): schemes, auth-params, quoted-strings with escapes, token68', () => {
    assert.deepEqual(parseChallenges('Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"'), [
      { scheme: 'newauth', params: { realm: 'apps', type: '1', title: 'Login to "apps"' } },
      { scheme: 'basic', params: { realm: 'simple' } },
    ]);
    assert.deepEqual(parseChallenges('Negotiate YIIB0gYGKwYBBQUCoIIBxjCC==, Bearer ERROR = "invalid_token"'), [
      { scheme: 'negotiate', params: {} },
      { scheme: 'bearer', params: { error: 'invalid_token' } },
    ]);
    assert.deepEqual(parseChallenges('Bearer error="unterminated'), [{ scheme: 'bearer', params: {} }], 'stops at a malformed part');
  });
});
