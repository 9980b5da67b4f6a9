/**
 * Interoperability: @gatehouse-auth/client against panva's oidc-provider (certified OpenID
 * provider; a dev dependency), in process, with client_credentials and JWT access tokens
 * through resource indicators (the configuration of bench/servers/oidc-provider-server.ts).
 * Proves the SDK speaks standard OAuth, not just Gatehouse: OpenID Connect discovery as
 * the fallback of RFC 8414, both client authentication methods (with a secret that needs
 * RFC 6749 §2.3.1's form-encoding), single flight, and the RFC 6749 error shape.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import Provider from 'oidc-provider';
import { clientCredentials, discover, TokenEndpointError } from '../../packages/client/src/index.js';
import { recordingFetch } from './helpers.js';

/** A secret with a space, a colon and other characters HTTP Basic must form-encode. */
const BASIC_SECRET = 'basic secret: with spaces & symbols +/=% 0123456789abcdef';
const POST_SECRET = 'post-secret-0123456789abcdefghijklmnopqrstuvwxyz';

describe('@gatehouse-auth/client against oidc-provider (client_credentials)', () => {
  let server: Server;
  let issuer: string;
  let resource: string;
  /** Answer 404 at the RFC 8414 path, as an OpenID provider that serves only openid-configuration does. */
  let openIdOnly = false;

  before(async () => {
    server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    resource = `${issuer}/api`;
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const client = (id: string, secret: string, method: string) => ({
      client_id: id,
      client_secret: secret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: method,
      scope: 'documents:read documents:write',
    });
    const provider = new Provider(issuer, {
      clients: [client('basic-client', BASIC_SECRET, 'client_secret_basic'), client('post-client', POST_SECRET, 'client_secret_post')],
      jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'interop', alg: 'ES256', use: 'sig' }] },
      clientDefaults: { id_token_signed_response_alg: 'ES256' },
      scopes: ['documents:read', 'documents:write'],
      ttl: { ClientCredentials: () => 600 },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => resource,
          useGrantedResource: () => true,
          getResourceServerInfo: () => ({ scope: 'documents:read documents:write', audience: resource, accessTokenTTL: 600, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } }),
        },
      },
    });
    const callback = provider.callback();
    server.on('request', (request, response) => {
      if (openIdOnly && request.url?.startsWith('/.well-known/oauth-authorization-server')) response.writeHead(404).end();
      else callback(request, response);
    });
  });
  after(() => new Promise<void>((resolve) => server?.close(() => resolve()).closeAllConnections()));

  it('discovers the metadata at the RFC 8414 location', async () => {
    const recorder = recordingFetch();
    const metadata = await discover(issuer, { fetch: recorder.fetch });
    assert.equal(metadata.issuer, issuer);
    assert.equal(metadata.token_endpoint, `${issuer}/token`);
    assert.deepEqual(recorder.requests.map((request) => new URL(request.url).pathname), ['/.well-known/oauth-authorization-server']);
  });

  it('falls back to OpenID Connect discovery when the RFC 8414 location has nothing, and gets a token', async () => {
    openIdOnly = true;
    try {
      const recorder = recordingFetch(`${issuer}/token`);
      const client = clientCredentials({ issuer, clientId: 'post-client', clientSecret: POST_SECRET, authMethod: 'client_secret_post', resource, fetch: recorder.fetch });
      assert.ok(await client.getToken());
      assert.deepEqual(
        recorder.requests.map((request) => new URL(request.url).pathname),
        ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration', '/token'],
      );
    } finally {
      openIdOnly = false;
    }
  });

  for (const [authMethod, clientId, clientSecret] of [
    ['client_secret_basic', 'basic-client', BASIC_SECRET],
    ['client_secret_post', 'post-client', POST_SECRET],
  ] as const) {
    it(`gets a JWT access token with ${authMethod}, one request for 50 concurrent callers`, async () => {
      const recorder = recordingFetch(`${issuer}/token`);
      const client = clientCredentials({ issuer, clientId, clientSecret, authMethod, scope: 'documents:read', resource, fetch: recorder.fetch });
      const tokens = await Promise.all(Array.from({ length: 50 }, () => client.getTokenSet()));
      assert.equal(new Set(tokens.map((token) => token.accessToken)).size, 1);
      assert.equal(recorder.tokenRequests().length, 1);
      const sent = recorder.tokenRequests()[0]!;
      assert.equal(sent.form!.get('resource'), resource, 'RFC 8707');
      assert.equal(sent.headers.has('authorization'), authMethod === 'client_secret_basic');
      assert.equal(sent.form!.has('client_secret'), authMethod === 'client_secret_post');

      const token = tokens[0]!;
      assert.equal(token.expiresIn, 600);
      assert.equal(token.scope, 'documents:read');
      // A standard RFC 9068 JWT from oidc-provider's own keys.
      const { payload, protectedHeader } = await jwtVerify(token.accessToken, createRemoteJWKSet(new URL(`${issuer}/jwks`)), { issuer, audience: resource });
      assert.equal(protectedHeader.typ, 'at+jwt');
      assert.equal(payload.client_id, clientId);
      assert.equal(payload.scope, 'documents:read');

      // The API call carries the token.
      const echoed = await client.authorizedFetch(`${issuer}/.well-known/openid-configuration`);
      assert.equal(echoed.status, 200);
      assert.equal(recorder.requests.at(-1)!.headers.get('authorization'), `Bearer ${token.accessToken}`);
    });
  }

  it('a wrong secret is a typed invalid_client error, not retried', async () => {
    const recorder = recordingFetch(`${issuer}/token`);
    const client = clientCredentials({ issuer, clientId: 'basic-client', clientSecret: 'wrong secret', fetch: recorder.fetch });
    await assert.rejects(client.getToken(), (error: unknown) => {
      assert.ok(error instanceof TokenEndpointError);
      assert.equal(error.error, 'invalid_client');
      assert.equal(error.status, 401);
      return true;
    });
    assert.equal(recorder.tokenRequests().length, 1);
  });

  it('a resource indicator the server refuses is its invalid_target error (RFC 8707), not retried', async () => {
    const recorder = recordingFetch(`${issuer}/token`);
    const client = clientCredentials({ issuer, clientId: 'post-client', clientSecret: POST_SECRET, authMethod: 'client_secret_post', resource: 'not-an-absolute-uri', fetch: recorder.fetch });
    await assert.rejects(client.getToken(), { name: 'TokenEndpointError', error: 'invalid_target', status: 400 });
    assert.equal(recorder.tokenRequests().length, 1);
  });
});
