import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient, createTestGatehouse, getToken, introspect, postForm, type TestClient, type TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth, jwtHeader, jwtPayload } from '../helpers/tokens.js';

describe('GET /oauth/revocations (the revocation feed)', () => {
  let t: TestGatehouse;
  let rs: TestClient;

  before(async () => {
    t = await createTestGatehouse();
    rs = await createClient(t.gatehouse, { tenant: 'provider', name: 'Document API', resourceServer: true });
  });
  after(() => t.close());

  const feed = async (since: number | string, caller: TestClient = rs) => {
    const response = await t.app.inject({ method: 'GET', url: `/oauth/revocations?since=${since}`, headers: { authorization: basicAuth(caller.clientId, caller.secret) } });
    return response;
  };
  const changes = async (since: number) => {
    const response = await feed(since);
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.headers['cache-control'], 'no-store');
    return response.json() as { revision: number; clients: { client_id: string; epoch: number }[]; tokens: { jti: string; client_id: string; exp: number }[]; withdrawn_keys: string[]; grants: string[] };
  };

  it('starts empty (at revision 1, where the migration left it)', async () => {
    assert.deepEqual(await changes(0), { revision: 1, clients: [], tokens: [], withdrawn_keys: [], grants: [] });
  });

  it('lists a secret rotation without grace as a raised client epoch, once', async () => {
    const client = await createClient(t.gatehouse, { tenant: 'acme' });
    const token = await getToken(t.app, client);
    assert.equal(jwtPayload(token).client_epoch, 0);
    const before = (await changes(0)).revision;
    await t.gatehouse.admin.clients.rotateSecret(client.clientId);
    const after = await changes(before);
    assert.equal(after.revision, before + 1);
    assert.deepEqual(after.clients, [{ client_id: client.clientId, epoch: 1 }]);
    assert.deepEqual(await changes(after.revision), { revision: after.revision, clients: [], tokens: [], withdrawn_keys: [], grants: [] });
  });

  it('does not list a rotation with grace (issued tokens stay valid)', async () => {
    const client = await createClient(t.gatehouse, { tenant: 'acme' });
    const before = (await changes(0)).revision;
    await t.gatehouse.admin.clients.rotateSecret(client.clientId, { graceSeconds: 3600 });
    assert.equal((await changes(before)).revision, before);
  });

  it('lists disabled clients, RFC 7009 revocations and withdrawn keys', async () => {
    const client = await createClient(t.gatehouse, { tenant: 'acme' });
    const revoked = await getToken(t.app, client);
    const before = (await changes(0)).revision;

    assert.equal((await postForm(t.app, '/oauth/revoke', { token: revoked }, { authorization: basicAuth(client.clientId, client.secret) })).statusCode, 200);
    const afterRevoke = await changes(before);
    assert.deepEqual(afterRevoke.tokens, [{ jti: jwtPayload(revoked).jti, client_id: client.clientId, exp: jwtPayload(revoked).exp }]);

    await t.gatehouse.admin.clients.disable(client.clientId);
    const afterDisable = await changes(afterRevoke.revision);
    assert.deepEqual(afterDisable.clients, [{ client_id: client.clientId, epoch: 1 }]);

    const oldKid = jwtHeader(revoked).kid as string;
    await t.gatehouse.admin.keys.rotate();
    await t.gatehouse.admin.keys.withdraw(oldKid);
    const afterWithdraw = await changes(afterDisable.revision);
    assert.deepEqual(afterWithdraw.withdrawn_keys, [oldKid]);

    // The whole state from 0 holds everything at once.
    const all = await changes(0);
    assert.ok(all.tokens.some((entry) => entry.jti === jwtPayload(revoked).jti));
    assert.ok(all.clients.some((entry) => entry.client_id === client.clientId && entry.epoch === 1));
    assert.ok(all.withdrawn_keys.includes(oldKid));
  });

  it('lists a revoked grant (authorization code flow) once, after the revision of its revocation', async () => {
    const client = await createClient(t.gatehouse, { tenant: 'acme' });
    const now = Date.now();
    const grant = await t.gatehouse.storage.grants.createGrant({
      id: 'grant-feed-1',
      clientId: client.clientId,
      userId: 'user-1',
      codeDigest: 'code-digest-feed-1',
      scope: ['documents:read'],
      tenants: ['acme'],
      createdAt: now,
      absoluteExpiresAt: now + 86_400_000,
    });
    const before = (await changes(0)).revision;
    await t.gatehouse.storage.grants.revokeGrant(grant.id, now);
    const after = await changes(before);
    assert.deepEqual(after, { revision: before + 1, clients: [], tokens: [], withdrawn_keys: [], grants: [grant.id] });
    assert.deepEqual((await changes(after.revision)).grants, []);
    assert.deepEqual((await changes(0)).grants, [grant.id]);
  });

  it('is for resource-server clients only', async () => {
    const ordinary = await createClient(t.gatehouse, { tenant: 'acme' });
    const refused = await feed(0, ordinary);
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.json().error, 'unauthorized_client');
    const anonymous = await t.app.inject({ method: 'GET', url: '/oauth/revocations' });
    assert.equal(anonymous.statusCode, 401);
    assert.match(String(anonymous.headers['www-authenticate']), /^Basic /);
    const inUrl = await t.app.inject({ method: 'GET', url: `/oauth/revocations?client_id=${rs.clientId}&client_secret=${rs.secret}` });
    assert.equal(inUrl.statusCode, 400);
    assert.ok(!inUrl.body.includes(rs.secret));
  });

  it('treats a missing or empty since as 0 (the whole state)', async () => {
    for (const url of ['/oauth/revocations', '/oauth/revocations?since=']) {
      const response = await t.app.inject({ method: 'GET', url, headers: { authorization: basicAuth(rs.clientId, rs.secret) } });
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json(), await changes(0));
    }
  });

  for (const bad of ['-1', 'abc', '1.5', '99999999999999999999']) {
    it(`refuses since=${bad} with invalid_request`, async () => {
      const response = await feed(bad);
      assert.equal(response.statusCode, 400);
      assert.equal(response.json().error, 'invalid_request');
    });
  }

  it('lets a resource-server client introspect tokens of every tenant', async () => {
    const foreign = await createClient(t.gatehouse, { tenant: 'globex' });
    const token = await getToken(t.app, foreign);
    assert.equal((await introspect(t.app, rs, token)).active, true);
    const ordinary = await createClient(t.gatehouse, { tenant: 'acme' });
    assert.deepEqual(await introspect(t.app, ordinary, token), { active: false });
  });

  it('advertises the feed in the metadata', async () => {
    const metadata = (await t.app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' })).json();
    assert.equal(metadata.gatehouse_revocation_feed_endpoint, 'http://127.0.0.1:8080/oauth/revocations');
  });
});
