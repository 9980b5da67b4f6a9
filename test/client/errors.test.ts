/**
 * Every error type of @gatehouse-auth/client, provoked the way it happens in use, keeps secrets
 * out of its message, its stack, String(error), JSON.stringify(error), util.inspect (which
 * walks the cause chain) and pino's error serializer (which appends the causes' messages)
 * — even when the server is careless enough to echo a secret in its error_description.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import pino from 'pino';
import {
  CallbackError,
  clientCredentials,
  DiscoveryError,
  exchangeCode,
  InvalidResponseError,
  NetworkError,
  OAuthClientError,
  refreshSession,
  RefreshTokenPersistenceError,
  SessionEndedError,
  TokenEndpointError,
  validateCallback,
} from '../../packages/client/src/index.js';
import { basicAuthorization } from '../../packages/client/src/encoding.js';
import { jsonResponse } from '../helpers/http.js';

const CLIENT_ID = 'client-1';
const SECRET = 'gatehouse_secret_TOP-SECRET-do-not-log-0123456789';
const REFRESH_TOKEN = 'gatehouse_rt_REFRESH-do-not-log-0123456789';
const NEW_REFRESH_TOKEN = 'gatehouse_rt_NEW-REFRESH-do-not-log-9876543210';
const ACCESS_TOKEN = 'eyJ.ACCESS-do-not-log.sig';
const CODE = 'CODE-do-not-log-0123456789';
const VERIFIER = 'VERIFIER-do-not-log-0123456789abcdefghijklmnopq';
const SECRETS = [SECRET, REFRESH_TOKEN, NEW_REFRESH_TOKEN, ACCESS_TOKEN, CODE, VERIFIER, basicAuthorization(CLIENT_ID, SECRET).slice('Basic '.length)];
const ISSUER = 'https://as.test';
const TOKEN_ENDPOINT = 'https://as.test/token';

/** A careless server: its error descriptions repeat whatever was sent. */
const echoingError = (status: number, error: string): typeof fetch => async (_input, init) => {
  const sent = `${String(init?.body)} ${JSON.stringify(init?.headers)}`;
  return jsonResponse(status, { error, error_description: `could not accept ${sent}` });
};

async function caught(promise: Promise<unknown>): Promise<OAuthClientError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof OAuthClientError, `not an OAuthClientError: ${String(error)}`);
    return error;
  }
  return assert.fail('expected a rejection');
}

function assertNoSecret(error: OAuthClientError): void {
  const renderings = {
    message: error.message,
    stack: error.stack ?? '',
    string: String(error),
    json: JSON.stringify(error),
    inspect: inspect(error, { depth: 10 }),
    pino: JSON.stringify(pino.stdSerializers.err(error)),
  };
  for (const [where, text] of Object.entries(renderings)) {
    for (const secret of SECRETS) assert.ok(!text.includes(secret), `${error.name}'s ${where} contains a secret: ${text}`);
  }
  assert.equal(JSON.parse(renderings.json).name, error.name, 'JSON.stringify gives the structured error');
}

const fast = { retry: { retries: 1 }, sleep: async () => {} };

describe('no secret in any error', () => {
  it('TokenEndpointError: client_secret_post and client_secret_basic, the server echoing the request', async () => {
    for (const authMethod of ['client_secret_post', 'client_secret_basic'] as const) {
      const client = clientCredentials({ tokenEndpoint: TOKEN_ENDPOINT, clientId: CLIENT_ID, clientSecret: SECRET, authMethod, fetch: echoingError(401, 'invalid_client') });
      const error = await caught(client.getToken());
      assert.ok(error instanceof TokenEndpointError);
      assert.equal(error.error, 'invalid_client');
      assert.match(error.errorDescription ?? '', /\[redacted\]/);
      assertNoSecret(error);
    }
  });

  it('TokenEndpointError: a 5xx after the retries', async () => {
    const client = clientCredentials({ tokenEndpoint: TOKEN_ENDPOINT, clientId: CLIENT_ID, clientSecret: SECRET, authMethod: 'client_secret_post', fetch: echoingError(503, 'temporarily_unavailable'), ...fast });
    const error = await caught(client.getToken());
    assert.ok(error instanceof TokenEndpointError);
    assert.equal(error.retryable, true);
    assertNoSecret(error);
  });

  it('TokenEndpointError: the code exchange, the server echoing code and verifier', async () => {
    const error = await caught(
      exchangeCode({ tokenEndpoint: TOKEN_ENDPOINT, clientId: CLIENT_ID, clientSecret: SECRET, code: CODE, codeVerifier: VERIFIER, redirectUri: 'https://app.test/cb', fetch: echoingError(400, 'invalid_grant') }),
    );
    assert.ok(error instanceof TokenEndpointError);
    assertNoSecret(error);
  });

  it('NetworkError: a failure whose text and causes carry the secret keeps only their name and code', async () => {
    const client = clientCredentials({
      tokenEndpoint: TOKEN_ENDPOINT,
      clientId: CLIENT_ID,
      clientSecret: SECRET,
      fetch: async (_input, init) => {
        const sent = `${String(init?.body)} ${JSON.stringify(init?.headers)}`;
        throw new TypeError(`fetch failed for ${sent}`, { cause: Object.assign(new Error(`connect: ${sent}`), { code: 'ECONNRESET', sent }) });
      },
      ...fast,
    });
    const error = await caught(client.getToken());
    assert.ok(error instanceof NetworkError);
    assert.match(error.message, /ECONNRESET/);
    assert.deepEqual(error.cause, { name: 'Error', code: 'ECONNRESET' });
    assertNoSecret(error);
  });

  it('NetworkError: the body of a 200 cut off, by a stream error that quotes the request', async () => {
    const client = clientCredentials({
      tokenEndpoint: TOKEN_ENDPOINT,
      clientId: CLIENT_ID,
      clientSecret: SECRET,
      authMethod: 'client_secret_post',
      fetch: async (_input, init) =>
        new Response(new ReadableStream({ pull: (controller) => controller.error(new Error(`reset while answering ${String(init?.body)}`)) }), { status: 200 }),
    });
    const error = await caught(client.getToken());
    assert.ok(error instanceof NetworkError);
    assertNoSecret(error);
  });

  it('InvalidResponseError: a token of another type', async () => {
    const client = clientCredentials({ tokenEndpoint: TOKEN_ENDPOINT, clientId: CLIENT_ID, clientSecret: SECRET, fetch: async () => jsonResponse(200, { access_token: ACCESS_TOKEN, token_type: 'DPoP', expires_in: 60 }) });
    const error = await caught(client.getToken());
    assert.ok(error instanceof InvalidResponseError);
    assertNoSecret(error);
  });

  it("DiscoveryError: another issuer's metadata", async () => {
    const client = clientCredentials({ issuer: ISSUER, clientId: CLIENT_ID, clientSecret: SECRET, fetch: async () => jsonResponse(200, { issuer: 'https://evil.test', token_endpoint: 'https://evil.test/token' }) });
    const error = await caught(client.getToken());
    assert.ok(error instanceof DiscoveryError);
    assertNoSecret(error);
  });

  it('CallbackError: a callback carrying a code with the wrong state', async () => {
    const error = await caught(validateCallback(`https://app.test/cb?code=${CODE}&state=other&iss=${ISSUER}`, { state: 'mine', issuer: ISSUER }));
    assert.ok(error instanceof CallbackError);
    assertNoSecret(error);
  });

  it('SessionEndedError: the refresh token refused, and echoed', async () => {
    const session = refreshSession({ tokenEndpoint: TOKEN_ENDPOINT, clientId: CLIENT_ID, clientSecret: SECRET, refreshToken: REFRESH_TOKEN, onRefreshToken: () => {}, fetch: echoingError(400, 'invalid_grant') });
    const error = await caught(session.getToken());
    assert.ok(error instanceof SessionEndedError);
    assertNoSecret(error);
    assert.ok(error.cause instanceof TokenEndpointError);
    assertNoSecret(error.cause);
  });

  it("RefreshTokenPersistenceError: the application failing to store the token; its cause is the application's own error, as thrown", async () => {
    const thrown = new Error('the database is down');
    const session = refreshSession({
      tokenEndpoint: TOKEN_ENDPOINT,
      clientId: CLIENT_ID,
      clientSecret: SECRET,
      refreshToken: REFRESH_TOKEN,
      onRefreshToken: () => {
        throw thrown;
      },
      fetch: async () => jsonResponse(200, { access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 600, refresh_token: NEW_REFRESH_TOKEN }),
    });
    const error = await caught(session.getToken());
    assert.ok(error instanceof RefreshTokenPersistenceError);
    assert.equal(error.cause, thrown);
    assertNoSecret(error);
  });

  it('CallbackError: a callback that is not a URL is not quoted (it may hold the code)', async () => {
    const error = await caught(validateCallback(`http://[${CODE}/cb?code=${CODE}&state=mine`, { state: 'mine', issuer: ISSUER }));
    assert.ok(error instanceof CallbackError);
    assert.equal(error.reason, 'malformed_callback');
    assertNoSecret(error);
  });
});
