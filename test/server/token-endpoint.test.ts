import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import {
  createClient,
  createTestGatehouse,
  postForm,
  TEST_ISSUER,
  type TestClient,
  type TestGatehouse,
} from '../helpers/gatehouse.js';
import { form, FORM } from '../helpers/http.js';
import { basicAuth, jwtHeader, jwtPayload } from '../helpers/tokens.js';

function assertOAuthError(response: { statusCode: number; json(): unknown; headers: Record<string, unknown> }, status: number, code: string): void {
  assert.equal(response.statusCode, status, `expected ${status} ${code}, got ${response.statusCode}`);
  const body = response.json() as Record<string, unknown>;
  assert.equal(body.error, code);
  assert.equal(typeof body.error_description, 'string');
  assert.equal(body.message, body.error_description, 'message repeats error_description');
  assert.equal(response.headers['cache-control'], 'no-store');
}

describe('POST /oauth/token — client_credentials', () => {
  let t: TestGatehouse;
  let client: TestClient;

  before(async () => {
    t = await createTestGatehouse();
    client = await createClient(t.gatehouse, { tenant: 'acme' });
  });
  after(() => t.close());

  it('issues a Bearer JWT with client_secret_post and the client default scope', async () => {
    const response = await postForm(t.app, '/oauth/token', `grant_type=client_credentials&client_id=${client.clientId}&client_secret=${client.secret}`);
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.equal(response.headers['pragma'], 'no-cache');
    const body = response.json();
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 3600);
    assert.equal(body.scope, 'documents:read');
    assert.equal(body.refresh_token, undefined, 'no refresh token for client_credentials (RFC 6749 §4.4.3)');
  });

  it('issues a token with client_secret_basic and a space-delimited scope sent unencoded', async () => {
    const response = await postForm(t.app, '/oauth/token', 'grant_type=client_credentials&scope=documents:read documents:write', {
      authorization: basicAuth(client.clientId, client.secret),
    });
    assert.equal(response.statusCode, 200);
    assert.equal(response.json().scope, 'documents:read documents:write');
  });

  it('mints an RFC 9068 access token verifiable with the published JWKS', async () => {
    const response = await postForm(t.app, '/oauth/token', { grant_type: 'client_credentials', scope: 'documents:write' }, { authorization: basicAuth(client.clientId, client.secret) });
    const token = response.json().access_token as string;
    const header = jwtHeader(token);
    assert.equal(header.typ, 'at+jwt');
    assert.equal(header.alg, 'ES256');
    assert.equal(typeof header.kid, 'string');
    const jwks = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer: TEST_ISSUER, audience: `${TEST_ISSUER}/api`, typ: 'at+jwt' });
    assert.equal(payload.sub, client.clientId);
    assert.equal(payload.client_id, client.clientId);
    assert.equal(payload.scope, 'documents:write');
    assert.equal(payload.tenant, 'acme');
    assert.equal(typeof payload.jti, 'string');
    assert.equal(payload.exp! - payload.iat!, 3600);
    assert.ok(Math.abs(payload.iat! - Date.now() / 1000) < 5);
  });

  it('gives every token a distinct jti', async () => {
    const tokens = await Promise.all(
      [1, 2, 3].map(() => postForm(t.app, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basicAuth(client.clientId, client.secret) })),
    );
    const ids = new Set(tokens.map((r) => jwtPayload(r.json().access_token).jti));
    assert.equal(ids.size, 3);
  });

  it('ignores the order and duplicates of requested scopes', async () => {
    const response = await postForm(t.app, '/oauth/token', 'grant_type=client_credentials&scope=documents%3Awrite+documents%3Aread++documents%3Awrite', {
      authorization: basicAuth(client.clientId, client.secret),
    });
    assert.equal(response.statusCode, 200);
    assert.equal(response.json().scope, 'documents:read documents:write');
  });

  it('accepts a charset parameter on the form media type', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8', authorization: basicAuth(client.clientId, client.secret) },
      payload: 'grant_type=client_credentials',
    });
    assert.equal(response.statusCode, 200);
  });

  it('uses the client lifetime, else the tenant lifetime, for expires_in and exp', async () => {
    const twelveHours = await createClient(t.gatehouse, { tenant: 'acme', accessTokenTtl: 43_200 });
    const fromTenant = await createClient(t.gatehouse, { tenant: 'long-tenant', tenantTtl: 7200 });
    for (const [c, expected] of [
      [twelveHours, 43_200],
      [fromTenant, 7200],
    ] as const) {
      const response = await postForm(t.app, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basicAuth(c.clientId, c.secret) });
      assert.equal(response.json().expires_in, expected);
      const claims = jwtPayload(response.json().access_token);
      assert.equal((claims.exp as number) - (claims.iat as number), expected);
    }
  });

  it('grants no scope (and sends no scope member) when none is requested and the client has no default', async () => {
    const bare = await createClient(t.gatehouse, { tenant: 'acme', scope: 'documents:read', defaultScope: '' });
    const response = await postForm(t.app, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basicAuth(bare.clientId, bare.secret) });
    assert.equal(response.statusCode, 200);
    assert.equal(response.json().scope, undefined);
    assert.equal(jwtPayload(response.json().access_token).scope, undefined);
  });

  it('decodes form-urlencoded Basic credentials (RFC 6749 §2.3.1)', async () => {
    // Our ids and secrets are URL-safe, so a client that encodes them still sends the same bytes;
    // a percent-encoded "_" must decode to "_".
    const encodedSecret = client.secret.replace(/_/g, '%5F');
    const header = `Basic ${Buffer.from(`${client.clientId}:${encodedSecret}`).toString('base64')}`;
    const response = await postForm(t.app, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: header });
    assert.equal(response.statusCode, 200);
  });

  it('accepts a lower-case basic scheme', async () => {
    const header = basicAuth(client.clientId, client.secret).replace('Basic', 'basic');
    const response = await postForm(t.app, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: header });
    assert.equal(response.statusCode, 200);
  });
});

describe('POST /oauth/token — errors (RFC 6749 §5.2)', () => {
  let t: TestGatehouse;
  let client: TestClient;

  before(async () => {
    // A generous throttle: these tests fail authentication on purpose many times.
    t = await createTestGatehouse({ config: { throttleMaxFailuresPerAddress: 1000, throttleMaxFailuresPerClient: 1000 } });
    client = await createClient(t.gatehouse, { tenant: 'acme' });
  });
  after(() => t.close());

  const token = (body: string | Record<string, string>, headers: Record<string, string> = {}) => postForm(t.app, '/oauth/token', body, headers);

  it('answers a wrong secret, an unknown client and a disabled client with the same invalid_client body', async () => {
    const disabled = await createClient(t.gatehouse, { tenant: 'acme' });
    await t.gatehouse.admin.clients.disable(disabled.clientId);
    const wrong = await token({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: `${client.secret}x` });
    const unknown = await token({ grant_type: 'client_credentials', client_id: 'no-such-client', client_secret: client.secret });
    const off = await token({ grant_type: 'client_credentials', client_id: disabled.clientId, client_secret: disabled.secret });
    for (const response of [wrong, unknown, off]) assertOAuthError(response, 401, 'invalid_client');
    assert.equal(wrong.body, unknown.body);
    assert.equal(wrong.body, off.body);
    // RFC 9110 §15.5.2: every 401 carries a challenge, Basic or not.
    for (const response of [wrong, unknown, off]) assert.equal(response.headers['www-authenticate'], 'Basic realm="http://127.0.0.1:8080", charset="UTF-8"');
  });

  it('adds a Basic challenge to invalid_client when Basic was used', async () => {
    const response = await token({ grant_type: 'client_credentials' }, { authorization: basicAuth(client.clientId, 'wrong') });
    assertOAuthError(response, 401, 'invalid_client');
    assert.match(String(response.headers['www-authenticate']), /^Basic realm="http:\/\/127\.0\.0\.1:8080"/);
  });

  it('refuses a request without client authentication, with a Basic challenge', async () => {
    const response = await token({ grant_type: 'client_credentials' });
    assertOAuthError(response, 401, 'invalid_client');
    assert.equal(response.headers['www-authenticate'], 'Basic realm="http://127.0.0.1:8080", charset="UTF-8"');
  });

  it('refuses a confidential client that sends only its client_id, with a Basic challenge', async () => {
    const response = await token({ grant_type: 'client_credentials', client_id: client.clientId });
    assertOAuthError(response, 401, 'invalid_client');
    assert.match(String(response.headers['www-authenticate']), /^Basic realm=/);
  });

  it('refuses a non-Basic Authorization scheme with invalid_client and a Basic challenge', async () => {
    const response = await token({ grant_type: 'client_credentials' }, { authorization: 'Bearer abc' });
    assertOAuthError(response, 401, 'invalid_client');
    assert.match(String(response.headers['www-authenticate']), /^Basic /);
  });

  it('refuses two authentication methods at once', async () => {
    const response = await token(
      { grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.secret },
      { authorization: basicAuth(client.clientId, client.secret) },
    );
    assertOAuthError(response, 400, 'invalid_request');
  });

  it('refuses a body client_id that differs from the Basic one', async () => {
    const response = await token({ grant_type: 'client_credentials', client_id: 'someone-else' }, { authorization: basicAuth(client.clientId, client.secret) });
    assertOAuthError(response, 400, 'invalid_request');
  });

  it('refuses client credentials in the query string', async () => {
    const response = await postForm(t.app, `/oauth/token?client_id=${client.clientId}&client_secret=${client.secret}`, { grant_type: 'client_credentials' });
    assertOAuthError(response, 400, 'invalid_request');
    assert.ok(!response.body.includes(client.secret), 'the secret is not echoed');
  });

  it('refuses a missing grant_type', async () => {
    assertOAuthError(await token({ scope: 'documents:read' }, { authorization: basicAuth(client.clientId, client.secret) }), 400, 'invalid_request');
  });

  it('treats an empty parameter as missing (RFC 6749 §3.1)', async () => {
    assertOAuthError(await token('grant_type=', { authorization: basicAuth(client.clientId, client.secret) }), 400, 'invalid_request');
  });

  it('refuses a repeated parameter', async () => {
    const response = await token('grant_type=client_credentials&scope=documents:read&scope=documents:write', { authorization: basicAuth(client.clientId, client.secret) });
    assertOAuthError(response, 400, 'invalid_request');
    assert.match(response.json().error_description, /scope/);
  });

  it('refuses an unknown grant type with unsupported_grant_type', async () => {
    assertOAuthError(await token({ grant_type: 'password', username: 'a', password: 'b' }, { authorization: basicAuth(client.clientId, client.secret) }), 400, 'unsupported_grant_type');
  });

  it('refuses a grant the client is not allowed with unauthorized_client', async () => {
    const codeOnly = await createClient(t.gatehouse, { tenant: 'acme', grantTypes: ['authorization_code'], redirectUris: ['https://app.example/cb'] });
    assertOAuthError(await token({ grant_type: 'client_credentials' }, { authorization: basicAuth(codeOnly.clientId, codeOnly.secret) }), 400, 'unauthorized_client');
  });

  it('refuses a scope outside the client allowed set with invalid_scope', async () => {
    const response = await token({ grant_type: 'client_credentials', scope: 'documents:read documents:delete' }, { authorization: basicAuth(client.clientId, client.secret) });
    assertOAuthError(response, 400, 'invalid_scope');
    assert.match(response.json().error_description, /the scope parameter asks for a scope this client is not allowed to request/);
  });

  it('refuses a malformed scope token with invalid_scope', async () => {
    assertOAuthError(await token({ grant_type: 'client_credentials', scope: 'documents:read "quoted"' }, { authorization: basicAuth(client.clientId, client.secret) }), 400, 'invalid_scope');
  });

  it('refuses a JSON body with invalid_request', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { 'content-type': 'application/json', authorization: basicAuth(client.clientId, client.secret) },
      payload: JSON.stringify({ grant_type: 'client_credentials' }),
    });
    assertOAuthError(response, 400, 'invalid_request');
  });

  it('refuses a body without a content type with invalid_request', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/oauth/token', headers: { authorization: basicAuth(client.clientId, client.secret) }, payload: 'grant_type=client_credentials' });
    assertOAuthError(response, 400, 'invalid_request');
  });

  it('refuses an empty request with invalid_request', async () => {
    assertOAuthError(await t.app.inject({ method: 'POST', url: '/oauth/token' }), 400, 'invalid_request');
  });

  it('answers a huge body with 413 invalid_request, not a 500', async () => {
    const response = await token(`grant_type=client_credentials&scope=${'a'.repeat(100_000)}`, { authorization: basicAuth(client.clientId, client.secret) });
    assertOAuthError(response, 413, 'invalid_request');
  });

  for (const [label, header] of [
    ['bad base64', 'Basic %%%not-base64%%%'],
    ['base64 without a colon', `Basic ${Buffer.from('just-an-id').toString('base64')}`],
    ['invalid UTF-8', `Basic ${Buffer.from([0xff, 0xfe, 0x3a, 0x41]).toString('base64')}`],
    ['a broken percent-encoding', `Basic ${Buffer.from('%E0%A4%A:secret').toString('base64')}`],
    ['an empty Basic value', 'Basic '],
    ['a bare scheme', 'Basic'],
    ['an empty client_id', `Basic ${Buffer.from(':secret').toString('base64')}`],
    ['an empty header', ''],
    ['a non-Basic scheme', 'Digest username="x"'],
  ] as const) {
    it(`answers an Authorization header with ${label} with 401 invalid_client and a Basic challenge (RFC 6749 §5.2)`, async () => {
      const response = await token({ grant_type: 'client_credentials' }, { authorization: header });
      assertOAuthError(response, 401, 'invalid_client');
      assert.equal(response.headers['www-authenticate'], 'Basic realm="http://127.0.0.1:8080", charset="UTF-8"');
    });
  }

  for (const [label, body] of [
    ['odd percent-encodings', 'grant_type=client%5Fcredentials&scope=%ZZ%&%'],
    ['invalid UTF-8 bytes', Buffer.from([0x67, 0x72, 0x61, 0x6e, 0x74, 0x5f, 0x74, 0x79, 0x70, 0x65, 0x3d, 0xff, 0xfe])],
    ['NUL bytes', 'grant_type=client_credentials\u0000&scope=\u0000'],
    ['only separators', '&&&===&&'],
    ['hundreds of parameters', Array.from({ length: 500 }, (_, i) => `p${i}=1`).join('&')],
  ] as const) {
    it(`answers a body with ${label} with an OAuth error, never a 500`, async () => {
      const response = await t.app.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: { 'content-type': FORM, authorization: basicAuth(client.clientId, client.secret) },
        payload: body,
      });
      assert.ok(response.statusCode >= 400 && response.statusCode < 500, `got ${response.statusCode}: ${response.body}`);
      assert.equal(typeof response.json().error, 'string');
    });
  }

  it('never echoes the presented secret in an error', async () => {
    const secret = 'gatehouse_secret_THIS-MUST-NOT-BE-ECHOED';
    const responses = await Promise.all([
      token({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: secret }),
      token({ grant_type: 'client_credentials', client_secret: secret }),
      token(form({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: secret }), { authorization: basicAuth(client.clientId, secret) }),
    ]);
    for (const response of responses) assert.ok(!response.body.includes(secret));
  });
});
