import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT, generateKeyPair } from 'jose';
import { mintAccessToken } from '../../packages/server/src/core/access-token.js';
import {
  createClient,
  createTestGatehouse,
  getToken,
  introspect,
  postForm,
  TEST_ISSUER,
  type TestClient,
  type TestGatehouse,
} from '../helpers/gatehouse.js';
import { sleep } from '../helpers/timing.js';
import { basicAuth, jwtHeader, jwtPayload } from '../helpers/tokens.js';

describe('POST /oauth/introspect (RFC 7662)', () => {
  let t: TestGatehouse;
  let api: TestClient;
  let caller: TestClient;

  before(async () => {
    t = await createTestGatehouse();
    api = await createClient(t.gatehouse, { tenant: 'acme' });
    caller = await createClient(t.gatehouse, { tenant: 'acme', name: 'Resource server' });
  });
  after(() => t.close());

  it('describes an active token to an authenticated client of the same tenant', async () => {
    const token = await getToken(t.app, api, { scope: 'documents:read documents:write' });
    const response = await postForm(t.app, '/oauth/introspect', { token, token_type_hint: 'access_token' }, { authorization: basicAuth(caller.clientId, caller.secret) });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['cache-control'], 'no-store');
    const body = response.json();
    const claims = jwtPayload(token);
    assert.deepEqual(body, {
      active: true,
      token_type: 'Bearer',
      client_id: api.clientId,
      sub: api.clientId,
      aud: `${TEST_ISSUER}/api`,
      iss: TEST_ISSUER,
      jti: claims.jti,
      iat: claims.iat,
      exp: claims.exp,
      scope: 'documents:read documents:write',
      tenant: 'acme',
    });
  });

  it('accepts client_secret_post from the caller', async () => {
    const token = await getToken(t.app, api);
    const response = await postForm(t.app, '/oauth/introspect', { token, client_id: caller.clientId, client_secret: caller.secret });
    assert.equal(response.json().active, true);
  });

  for (const [label, token] of [
    ['garbage', 'not-a-token'],
    ['a JWT-shaped string', 'aaa.bbb.ccc'],
    ['an empty-looking token', '...'],
    ['a huge token', 'a'.repeat(9000)],
  ] as const) {
    it(`answers exactly {"active":false} for ${label}`, async () => {
      const response = await postForm(t.app, '/oauth/introspect', { token }, { authorization: basicAuth(caller.clientId, caller.secret) });
      assert.equal(response.statusCode, 200);
      assert.equal(response.body, '{"active":false}');
    });
  }

  it('answers {"active":false} for a token signed by a foreign key with our kid and issuer', async () => {
    const real = await getToken(t.app, api);
    const kid = jwtHeader(real).kid as string;
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({ ...jwtPayload(real) }).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid }).sign(privateKey);
    assert.equal((await introspect(t.app, caller, forged)).active, false);
  });

  it('answers {"active":false} for an alg:none token', async () => {
    const real = await getToken(t.app, api);
    const none = `${Buffer.from(JSON.stringify({ ...jwtHeader(real), alg: 'none' })).toString('base64url')}.${real.split('.')[1]}.`;
    assert.equal((await introspect(t.app, caller, none)).active, false);
  });

  it('answers {"active":false} for an expired token', async () => {
    const short = await createClient(t.gatehouse, { tenant: 'acme', accessTokenTtl: 1 });
    const token = await getToken(t.app, short);
    assert.equal((await introspect(t.app, caller, token)).active, true);
    await sleep(2100);
    assert.deepEqual(await introspect(t.app, caller, token), { active: false });
  });

  it('does not describe a token of another tenant', async () => {
    const foreign = await createClient(t.gatehouse, { tenant: 'globex' });
    const token = await getToken(t.app, foreign);
    assert.deepEqual(await introspect(t.app, caller, token), { active: false });
    assert.equal((await introspect(t.app, foreign, token)).active, true);
  });

  it('requires client authentication', async () => {
    const token = await getToken(t.app, api);
    const response = await postForm(t.app, '/oauth/introspect', { token });
    assert.equal(response.statusCode, 401);
    assert.equal(response.json().error, 'invalid_client');
    const wrong = await postForm(t.app, '/oauth/introspect', { token }, { authorization: basicAuth(caller.clientId, 'wrong') });
    assert.equal(wrong.statusCode, 401);
  });

  it('refuses a public client (RFC 7662 §2.1): its bare client_id proves nothing, so it cannot scan for tokens', async () => {
    const { client: spa } = await t.gatehouse.admin.clients.create({ tenant: 'acme', name: 'SPA', isPublic: true, redirectUris: ['https://app.example/cb'] });
    const token = await getToken(t.app, api);
    const response = await postForm(t.app, '/oauth/introspect', { token, client_id: spa.id });
    assert.equal(response.statusCode, 401);
    assert.equal(response.json().error, 'invalid_client');
    assert.equal(response.headers['www-authenticate'], `Basic realm="${TEST_ISSUER}", charset="UTF-8"`);
    assert.ok(!response.body.includes('active'), 'nothing about the token');
  });

  it('requires the token parameter', async () => {
    const response = await postForm(t.app, '/oauth/introspect', {}, { authorization: basicAuth(caller.clientId, caller.secret) });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().error, 'invalid_request');
  });

  it('reports tokens of a disabled client as inactive', async () => {
    const doomed = await createClient(t.gatehouse, { tenant: 'acme' });
    const token = await getToken(t.app, doomed);
    assert.equal((await introspect(t.app, caller, token)).active, true);
    await t.gatehouse.admin.clients.disable(doomed.clientId);
    assert.deepEqual(await introspect(t.app, caller, token), { active: false });
    await t.gatehouse.admin.clients.enable(doomed.clientId);
    assert.deepEqual(await introspect(t.app, caller, token), { active: false }, 're-enabling does not revive revoked tokens');
  });
});

describe('POST /oauth/revoke (RFC 7009)', () => {
  let t: TestGatehouse;
  let owner: TestClient;
  let other: TestClient;

  before(async () => {
    t = await createTestGatehouse();
    owner = await createClient(t.gatehouse, { tenant: 'acme' });
    other = await createClient(t.gatehouse, { tenant: 'acme' });
  });
  after(() => t.close());

  it('revokes an access token at once: introspection then says inactive', async () => {
    const token = await getToken(t.app, owner);
    const keep = await getToken(t.app, owner);
    const response = await postForm(t.app, '/oauth/revoke', { token, token_type_hint: 'access_token' }, { authorization: basicAuth(owner.clientId, owner.secret) });
    assert.equal(response.statusCode, 200);
    assert.equal(response.body, '');
    assert.deepEqual(await introspect(t.app, other, token), { active: false });
    assert.equal((await introspect(t.app, other, keep)).active, true, 'other tokens of the client stay active');
  });

  it('answers 200 for an invalid or already revoked token (§2.2)', async () => {
    const token = await getToken(t.app, owner);
    for (const value of [token, token, 'garbage']) {
      const response = await postForm(t.app, '/oauth/revoke', { token: value }, { authorization: basicAuth(owner.clientId, owner.secret) });
      assert.equal(response.statusCode, 200);
    }
  });

  it('ignores an unknown token_type_hint', async () => {
    const token = await getToken(t.app, owner);
    const response = await postForm(t.app, '/oauth/revoke', { token, token_type_hint: 'id_token' }, { authorization: basicAuth(owner.clientId, owner.secret) });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(await introspect(t.app, other, token), { active: false });
  });

  it('refuses to revoke a token issued to another client, and leaves it active', async () => {
    const token = await getToken(t.app, owner);
    const response = await postForm(t.app, '/oauth/revoke', { token }, { authorization: basicAuth(other.clientId, other.secret) });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().error, 'unauthorized_client');
    assert.equal((await introspect(t.app, other, token)).active, true);
  });

  it('lets a public client revoke its own tokens with its client_id alone (RFC 7009 §2.1), and only its own', async () => {
    const { client: spa } = await t.gatehouse.admin.clients.create({ tenant: 'acme', name: 'SPA', isPublic: true, redirectUris: ['https://app.example/cb'] });
    // No grant issues tokens to public clients yet: mint one as the authorization code grant will.
    const stored = (await t.gatehouse.storage.clients.findClient(spa.id))!;
    const { token: own } = await mintAccessToken({ client: stored, subject: 'user-1', scope: [], tenant: 'acme', ttl: 600 }, { keys: t.gatehouse.keys, config: t.config }, Date.now());
    assert.equal((await introspect(t.app, other, own)).active, true);
    const revoked = await postForm(t.app, '/oauth/revoke', { token: own, client_id: spa.id });
    assert.equal(revoked.statusCode, 200);
    assert.deepEqual(await introspect(t.app, other, own), { active: false });

    const foreign = await getToken(t.app, owner);
    const refused = await postForm(t.app, '/oauth/revoke', { token: foreign, client_id: spa.id });
    assert.equal(refused.statusCode, 400);
    assert.equal(refused.json().error, 'unauthorized_client');
    assert.equal((await introspect(t.app, other, foreign)).active, true);
  });

  it('requires client authentication and the token parameter', async () => {
    const token = await getToken(t.app, owner);
    assert.equal((await postForm(t.app, '/oauth/revoke', { token })).statusCode, 401);
    const missing = await postForm(t.app, '/oauth/revoke', {}, { authorization: basicAuth(owner.clientId, owner.secret) });
    assert.equal(missing.statusCode, 400);
    assert.equal(missing.json().error, 'invalid_request');
    assert.equal((await introspect(t.app, other, token)).active, true);
  });
});
